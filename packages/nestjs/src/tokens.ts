/** The options given to `forRoot()` or made by the factory of `forRootAsync()`, as given. */
export const SPOOL_MODULE_OPTIONS = Symbol.for('@spool/nestjs:module-options');
/** The options after checks. */
export const SPOOL_RESOLVED_OPTIONS = Symbol.for('@spool/nestjs:resolved-options');
/** The dashboard and its path, or null when it is not mounted. */
export const SPOOL_DASHBOARD = Symbol.for('@spool/nestjs:dashboard');
/** The metadata `@SpoolJob()` puts on a class. */
export const SPOOL_JOB_METADATA = '@spool/nestjs:job';
