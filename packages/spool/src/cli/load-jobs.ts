import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import type { JobDefinition } from '@spool/core';
import { isJobDefinition } from '@spool/core';

import { CliError } from './command.js';

/**
 * Imports a jobs module and collects its job definitions: every export made by `defineJob`, and the
 * items of a default export that is an array of definitions. A definition exported twice counts once.
 */
export async function loadJobs(path: string, cwd: string = process.cwd()): Promise<JobDefinition[]> {
  const file = resolve(cwd, path);
  if (!existsSync(file)) {
    throw new CliError('ERR_JOBS_MODULE', `--jobs ${path}: no such file (${file}). Pass the built JavaScript module that exports your job definitions, e.g. --jobs ./dist/jobs.js`);
  }
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const hint = /\.(c|m)?ts$/.test(file) ? ' Node runs JavaScript: build the module first and pass the .js file.' : '';
    throw new CliError('ERR_JOBS_MODULE', `--jobs ${path} could not be imported: ${reason}.${hint}`, { cause: error });
  }
  const found = new Set<JobDefinition>();
  for (const [key, value] of Object.entries(exports)) {
    if (isJobDefinition(value)) {
      found.add(value);
    } else if (key === 'default' && Array.isArray(value)) {
      value.forEach((item: unknown, index) => {
        if (!isJobDefinition(item)) {
          throw new CliError('ERR_JOBS_MODULE', `--jobs ${path}: item ${index} of the default export is not a job definition (made by defineJob)`);
        }
        found.add(item);
      });
    }
  }
  if (found.size === 0) {
    throw new CliError(
      'ERR_JOBS_MODULE',
      `--jobs ${path} exports no job definitions. Export them by name (export const sendEmail = defineJob(...)) or as a default array.`,
    );
  }
  return [...found];
}
