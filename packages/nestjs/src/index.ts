/**
 * @spool/nestjs: Spool for NestJS. `SpoolModule.forRoot()` and `forRootAsync()` provide the client
 * as the injectable {@link SpoolClient}, run a server with the application's lifecycle, mount the
 * dashboard under a path, and turn `@SpoolJob` providers into jobs whose handlers use injected
 * services.
 */
export { SpoolModule } from './spool-module.js';
export type { SpoolModuleAsyncOptions } from './spool-module.js';
export type { SpoolModuleOptions, SpoolDashboardMount } from './spool-module-options.js';
export { SpoolClient } from './spool-client.js';
export { SpoolJob } from './spool-job.js';
export type { SpoolJobHandler, SpoolJobOptions } from './spool-job.js';
export { SpoolLifecycle } from './spool-lifecycle.js';
