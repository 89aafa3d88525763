/**
 * The document export demo on its own: upload a document, watch it become a PDF, download it.
 * Configuration by environment:
 *
 * - `PORT` (default 3000), `HOST` (default 127.0.0.1)
 * - `SPOOL_STORAGE` (default `sqlite:./data/spool.db`, relative to the current directory)
 * - `EXPORT_STORE_DIR` (default `./data/exports`), `EXPORT_MAX_UPLOAD_BYTES` (default 5 MB),
 *   `EXPORT_BLOCK_DELAY_MS` (default 150)
 * - `SPOOL_FILES`: the file store shared with the workers (`s3://bucket/prefix?endpoint=...`);
 *   default: the folder `EXPORT_STORE_DIR`
 * - `WORKER=off`: serve only the web part; run conversions with `spool worker` in another process
 */
import { describeStorage, exitWith, portFromEnv, stopOnSignals } from '@spool-examples/web-kit';

import { exportSettingsFromEnv } from './settings.js';
import { startDocumentExport } from './start.js';

const storage = process.env.SPOOL_STORAGE || 'sqlite:./data/spool.db';
const worker = process.env.WORKER !== 'off';

const app = await (async () => {
  const settings = exportSettingsFromEnv(process.env);
  return startDocumentExport({ ...settings, statusSecret: process.env.EXPORT_STATUS_SECRET || undefined, port: portFromEnv(), host: process.env.HOST || '127.0.0.1', storage, worker });
})().catch((error: unknown) => exitWith('document-export', error));

console.log(`document-export listening on ${app.url}  (storage ${describeStorage(storage)}, files ${app.spool.files?.description ?? 'the folder EXPORT_STORE_DIR'}, worker ${worker ? 'in process' : 'off'})

  Upload a document:  ${app.url}/
  From the shell:     curl -F document=@README.md ${app.url}/api/exports
${worker ? '' : `  Run conversions:    npx spool worker --jobs examples/document-export/dist/jobs.js --queues ${app.mount.queues.join(',')} --storage ${describeStorage(storage)}\n`}
Stop with Ctrl+C.`);

stopOnSignals('document-export', () => app.close(), { finishing: 'finishing running conversions' });
