import type { DynamicModule, FactoryProvider, MiddlewareConsumer, ModuleMetadata, NestModule, Provider } from '@nestjs/common';
import { Global, Inject, Module, RequestMethod } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';

import { SpoolClient } from './spool-client.js';
import type { SpoolDashboardRef } from './spool-dashboard-ref.js';
import { spoolDashboardRef } from './spool-dashboard-ref.js';
import { SpoolLifecycle } from './spool-lifecycle.js';
import type { ResolvedSpoolModuleOptions, SpoolModuleOptions } from './spool-module-options.js';
import { resolveSpoolModuleOptions } from './spool-module-options.js';
import { SPOOL_DASHBOARD, SPOOL_MODULE_OPTIONS, SPOOL_RESOLVED_OPTIONS } from './tokens.js';

/**
 * Options of `SpoolModule.forRootAsync()`: a factory of the module's options (`useFactory`), the
 * providers it is handed in order (`inject`), and the modules that export them (`imports`).
 *
 * ```ts
 * SpoolModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (config: ConfigService) => ({ spool: new Spool({ storage: config.get('SPOOL_STORAGE') }) }) })
 * ```
 */
export interface SpoolModuleAsyncOptions
  extends Pick<ModuleMetadata, 'imports'>,
    Pick<FactoryProvider<SpoolModuleOptions | Promise<SpoolModuleOptions>>, 'useFactory' | 'inject'> {}

/**
 * Spool in a Nest application, imported once in the root module. It provides the client as
 * {@link SpoolClient} everywhere (the module is global), adds the jobs of `@SpoolJob` providers,
 * runs a server with the application's lifecycle and mounts the dashboard under a path.
 *
 * ```ts
 * @Module({ imports: [SpoolModule.forRoot({ spool, dashboard: { path: '/admin/spool' } })], providers: [WelcomeEmailJob] })
 * export class AppModule {}
 * ```
 */
@Global()
@Module({})
export class SpoolModule implements NestModule {
  constructor(@Inject(SPOOL_DASHBOARD) private readonly dashboard: SpoolDashboardRef | null) {}

  /** The module with options known up front. */
  static forRoot(options: SpoolModuleOptions): DynamicModule {
    return buildSpoolModule([], { provide: SPOOL_MODULE_OPTIONS, useValue: options });
  }

  /** The module with options made by a factory, e.g. from a `ConfigService`. */
  static forRootAsync(options: SpoolModuleAsyncOptions): DynamicModule {
    return buildSpoolModule(options.imports ?? [], { provide: SPOOL_MODULE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] });
  }

  /** Mounts the dashboard as middleware under its path, for every method. */
  configure(consumer: MiddlewareConsumer): void {
    if (!this.dashboard) return;
    const path = this.dashboard.path.slice(1);
    consumer.apply(this.dashboard.handler).forRoutes({ path, method: RequestMethod.ALL }, { path: `${path}/{*rest}`, method: RequestMethod.ALL });
  }
}

/** The dynamic module around the provider of its options. */
function buildSpoolModule(imports: NonNullable<ModuleMetadata['imports']>, optionsProvider: Provider): DynamicModule {
  return {
    module: SpoolModule,
    global: true,
    imports: [DiscoveryModule, ...imports],
    providers: [
      optionsProvider,
      { provide: SPOOL_RESOLVED_OPTIONS, useFactory: resolveSpoolModuleOptions, inject: [SPOOL_MODULE_OPTIONS] },
      { provide: SpoolClient, useFactory: (options: ResolvedSpoolModuleOptions) => options.spool, inject: [SPOOL_RESOLVED_OPTIONS] },
      { provide: SPOOL_DASHBOARD, useFactory: spoolDashboardRef, inject: [SPOOL_RESOLVED_OPTIONS] },
      SpoolLifecycle,
    ],
    exports: [SpoolClient, SpoolLifecycle],
  };
}
