/**
 * A local S3-compatible object store for the distributed demo (`npm run start:distributed`): an S3
 * protocol server (s3rver) on loopback, one bucket, its objects in a folder. In production this is
 * S3, MinIO, R2 or any S3-compatible service, and this process does not exist.
 *
 * - `OBJECT_STORE_PORT` (default 0: a free port), `OBJECT_STORE_DIR` (default `./data/object-store`),
 *   `OBJECT_STORE_BUCKET` (default `documents`)
 *
 * Prints `object store listening on http://127.0.0.1:<port> bucket <bucket>` once it answers.
 */
import { mkdirSync } from 'node:fs';

import { exitWith } from '@spool-examples/web-kit';

type S3rverInstance = { run(): Promise<{ port: number }>; close(): Promise<void> };
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

const port = Number(process.env.OBJECT_STORE_PORT || 0);
const directory = process.env.OBJECT_STORE_DIR || './data/object-store';
const bucket = process.env.OBJECT_STORE_BUCKET || 'documents';

const server = await (async () => {
  mkdirSync(directory, { recursive: true });
  // Loaded by name at run time: s3rver ships no types, and only this demo process needs it.
  const moduleName = 's3rver';
  const { default: S3rver } = (await import(moduleName)) as { default: S3rverClass };
  const s3 = new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port: listening } = await s3.run();
  console.log(`object store listening on http://127.0.0.1:${listening} bucket ${bucket}`);
  return s3;
})().catch((error: unknown) => exitWith('object-store', error));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void server.close().finally(() => process.exit(0));
  });
}
