/**
 * `npm run start:distributed`: the document export as separate processes sharing only PostgreSQL
 * and an object store, as on several machines: one web process, two `spool worker` processes,
 * and (unless `SPOOL_FILES` names one) a local S3 protocol server as the object store.
 *
 * - `SPOOL_STORAGE`: default `postgres://postgres@127.0.0.1:5432/test?schema=document_export`
 * - `SPOOL_FILES`: an `s3://bucket/prefix?endpoint=...` URL of your object store; default: the demo one
 * - `WORKERS` (default 2), `PORT` (default 3000), `DATA_DIR` (default `./data/distributed`: one
 *   folder per process, none shared), `EXPORT_BLOCK_DELAY_MS` (default 150)
 */
import { exitWith } from '@spool-examples/web-kit';

import { startDistributed } from './distributed.js';

const storage = process.env.SPOOL_STORAGE || 'postgres://postgres@127.0.0.1:5432/test?schema=document_export';
if (!/^postgres(ql)?:\/\//.test(storage)) exitWith('start:distributed', new Error(`SPOOL_STORAGE must be a postgres:// URL here, got ${JSON.stringify(storage)}`));
const workers = Number(process.env.WORKERS || 2);
if (!Number.isInteger(workers) || workers < 1 || workers > 16) exitWith('start:distributed', new Error(`WORKERS must be 1 to 16, got ${JSON.stringify(process.env.WORKERS)}`));

const running = await startDistributed({
  storage,
  ...(process.env.SPOOL_FILES ? { files: process.env.SPOOL_FILES } : {}),
  dataDir: process.env.DATA_DIR || './data/distributed',
  workers,
  port: Number(process.env.PORT || 3000),
  blockDelayMs: Number(process.env.EXPORT_BLOCK_DELAY_MS || 150),
}).catch((error: unknown) => exitWith('start:distributed', error));

for (const worker of running.workers) {
  worker.child.on('exit', (code, signal) => console.error(`[${worker.label}] exited (${signal ?? `code ${code}`}); the other workers take over its jobs once its leases expire`));
}
console.log(`
document export, distributed: ${running.url}/
  web        1 process (WORKER=off): uploads, status, downloads
  workers    ${running.workers.map((w) => w.serverId).join(', ')}
  storage    PostgreSQL (jobs, progress, results)
  files      ${running.files.replace(/\/\/[^@/]*@/, '//***@')} (uploads and PDFs)
Stop with Ctrl+C.`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping: workers finish their conversions, then the web process and the object store stop');
    void running.stop().then(() => process.exit(0));
  });
}
