/**
 * The document export demo on its own: upload a document, watch it become a PDF, download it.
 * Configuration by environment:
 *
 * - `PORT` (default 3000), `HOST` (default 127.0.0.1)
 * - `SPOOL_STORAGE` (default `sqlite:./data/spool.db`, relative to the current directory)
 * - `EXPORT_STORE_DIR` (default `./data/exports`), `EXPORT_MAX_UPLOAD_BYTES` (default 5 MB),
 *   `EXPORT_BLOCK_DELAY_MS` (default 150)
 * - `WORKER=off`: serve only the web part; run conversions with `spool worker` in another process
 */
import { startDocumentExport } from './start.js';
import { exportSettingsFromEnv } from './settings.js';

const port = Number(process.env.PORT || 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
const storage = process.env.SPOOL_STORAGE || 'sqlite:./data/spool.db';
const worker = process.env.WORKER !== 'off';

const app = await (async () => {
  const settings = exportSettingsFromEnv(process.env);
  return startDocumentExport({ ...settings, port, host: process.env.HOST || '127.0.0.1', storage, worker });
})().catch((error: unknown) => {
  const code = (error as { code?: unknown }).code;
  fail(`${typeof code === 'string' ? `[${code}] ` : ''}${error instanceof Error ? error.message : String(error)}`);
});

console.log(`document-export listening on ${app.url}  (storage ${storage}, worker ${worker ? 'in process' : 'off'})

  Upload a document:  ${app.url}/
  From the shell:     curl -F document=@README.md ${app.url}/api/exports
${worker ? '' : `  Run conversions:    npx spool worker --jobs examples/document-export/dist/jobs.js --queues ${app.mount.queues.join(',')} --storage ${storage}\n`}
Stop with Ctrl+C.`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(130);
    stopping = true;
    console.log(`\n${signal}: finishing running conversions, then stopping (again to exit at once)`);
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('document-export: stop failed:', error);
        process.exit(1);
      },
    );
  });
}

function fail(message: string): never {
  console.error(`document-export: ${message}`);
  process.exit(1);
}
