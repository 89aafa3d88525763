import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EXPORT_QUEUE } from '../src/export-job.js';
import type { RunningDocumentExport } from '../src/start.js';
import { startDocumentExport } from '../src/start.js';
import { FIXTURES, pdfText, tempFolder, upload, waitForFinish } from './helpers.js';

const SPOOL_CLI = join(dirname(createRequire(import.meta.url).resolve('spool')), 'cli/main.js');
const JOBS_MODULE = fileURLToPath(new URL('../dist/jobs.js', import.meta.url));

let folder: ReturnType<typeof tempFolder>;
let web: RunningDocumentExport;
let worker: ChildProcess;
let workerOutput = '';

beforeAll(async () => {
  for (const file of [SPOOL_CLI, JOBS_MODULE]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);
  }
  folder = tempFolder('document-export-worker-');
  const storage = `sqlite:${join(folder.dir, 'spool.db')}`;
  const storeDir = join(folder.dir, 'store');
  // The web part only: it stores uploads and enqueues, and runs no job.
  web = await startDocumentExport({ storage, port: 0, storeDir, worker: false });
  worker = spawn(
    process.execPath,
    [SPOOL_CLI, 'worker', '--jobs', JOBS_MODULE, '--storage', storage, '--queues', EXPORT_QUEUE, '--poll-interval', '100ms'],
    { env: { ...process.env, EXPORT_STORE_DIR: storeDir, EXPORT_BLOCK_DELAY_MS: '5' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  worker.stdout!.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
  worker.stderr!.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
  // Wait (bounded) for the worker to announce itself.
  for (let i = 0; i < 300 && !/spool worker \S+ started/.test(workerOutput); i += 1) {
    if (worker.exitCode !== null) break;
    await sleep(20);
  }
  if (!/spool worker \S+ started/.test(workerOutput)) throw new Error(`the worker did not start:\n${workerOutput}`);
});

afterAll(async () => {
  if (worker && worker.exitCode === null && worker.pid !== undefined) {
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    process.kill(worker.pid, 'SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (worker.exitCode === null && worker.signalCode === null) process.kill(worker.pid, 'SIGKILL');
  }
  await web?.close();
  folder?.remove();
});

describe('conversions in a separate worker process', () => {
  it('are run by `spool worker --jobs dist/jobs.js`, sharing only the storage and the file store', async () => {
    const res = await upload(web.url, 'quarterly-report.md', readFileSync(join(FIXTURES, 'quarterly-report.md')));
    expect(res.status).toBe(202);
    const { jobId, result } = (await res.json()) as { jobId: string; result: string };
    const status = await waitForFinish(web.url, jobId);
    expect(status.state, workerOutput).toBe('succeeded');

    // The worker process ran it: the processing state names the worker's server id.
    const workerId = /spool worker (\S+) started/.exec(workerOutput)![1];
    const job = await web.spool.getJob(jobId);
    expect(job!.history.find((h) => h.state === 'processing')!.serverId).toBe(workerId);
    expect(web.server).toBeNull();

    const download = await fetch(`${web.url}${result}`);
    expect(download.status).toBe(200);
    const pdf = await pdfText(new Uint8Array(await download.arrayBuffer()));
    expect(pdf.text).toContain('Quarterly report');
    expect(pdf.text).toContain('The Spool team shipped three features');
  });
});
