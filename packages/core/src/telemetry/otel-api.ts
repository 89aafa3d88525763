import { createRequire } from 'node:module';

// Types only: erased from the output, so loading this module never loads the API.
import type * as OtelApiModule from '@opentelemetry/api';

/** The exports of `@opentelemetry/api`. */
export type OtelApi = typeof OtelApiModule;

import type { ModuleLoader } from './module-loader.js';

export type { ModuleLoader } from './module-loader.js';

// Resolved from this file, as an `import` here would be: the application's own node_modules.
// `require` keeps `new Spool()` synchronous; it loads the API's CommonJS build, which shares its
// global registry (providers, context manager, propagators) with the ES build an application imports.
const requireFromHere: ModuleLoader = createRequire(import.meta.url);

let loaded: OtelApi | null | undefined;

/**
 * `@opentelemetry/api` when it is installed, else null; loaded once per process with the default
 * loader. Any failure other than the package being absent is rethrown: a broken install should
 * be seen, not silently untraced.
 */
export function loadOtelApi(load: ModuleLoader = requireFromHere): OtelApi | null {
  if (load === requireFromHere && loaded !== undefined) return loaded;
  let api: OtelApi | null;
  try {
    api = load('@opentelemetry/api') as OtelApi;
  } catch (error) {
    if (!isMissing(error)) throw error;
    api = null;
  }
  if (load === requireFromHere) loaded = api;
  return api;
}

function isMissing(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && error.message.includes('@opentelemetry/api');
}
