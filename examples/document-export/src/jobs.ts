/**
 * The conversion job as a module, for running conversions in a separate process:
 *
 *   WORKER=off node examples/document-export/dist/main.js      # the web part only
 *   npx spool worker --jobs examples/document-export/dist/jobs.js --queues document-export
 *
 * Both must use the same storage (`SPOOL_STORAGE` or `--storage`) and the same file store:
 *
 * - `SPOOL_FILES`: the file store, e.g. `s3://exports/documents?endpoint=http://127.0.0.1:9000`
 *   (default: none, and the folder `EXPORT_STORE_DIR` is the store)
 * - `EXPORT_STORE_DIR`: the local folder (default `./data/exports`, relative to the current
 *   directory): the store itself without `SPOOL_FILES`, else only where PDFs are written first
 * - `EXPORT_BLOCK_DELAY_MS`: pause after each laid-out block, so that progress can be watched (default 150)
 */
import { resolveFileStore } from 'spool';

import { defineExportJob } from './export-job.js';
import { exportSettingsFromEnv } from './settings.js';

const settings = exportSettingsFromEnv(process.env);

/** `documents.export-pdf` on the queue `document-export`, with the store from the environment. */
export const exportDocument = defineExportJob({
  storeDir: settings.storeDir,
  files: settings.files === undefined ? null : resolveFileStore(settings.files),
  blockDelayMs: settings.blockDelayMs,
});
