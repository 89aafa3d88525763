/**
 * A synchronous module loader: `require`, or a stand-in in tests. Kept apart from otel-api.ts so
 * that the published types which name it do not import `@opentelemetry/api`'s types: an
 * application without the API must type-check with `skipLibCheck: false`.
 */
export type ModuleLoader = (specifier: string) => unknown;
