import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Spool } from 'spool';

import type { RunningDistributed } from '../dist/distributed.js';
import { startDistributed } from '../dist/distributed.js';
import { FIXTURES, filesUnder, jobStatus, pdfText, tempFolder, upload, waitForFinish } from './helpers.js';

const POSTGRES_URL = process.env.SPOOL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));

/** Whether PostgreSQL answers; under CI a missing PostgreSQL fails the suite instead of skipping it. */
async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch (error) {
    const message = `PostgreSQL is not reachable at ${POSTGRES_URL} (${error instanceof Error ? error.message : String(error)}); start it or set SPOOL_TEST_POSTGRES_URL.`;
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`\n!!! SKIPPING the distributed document export: ${message}\n`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const available = await postgresAvailable();
const schema = `docexp_${randomBytes(5).toString('hex')}`;
const storage = `${POSTGRES_URL}?schema=${schema}`;
let folder: ReturnType<typeof tempFolder>;
let app: RunningDistributed;
let observer: Spool;
const output: string[] = [];

beforeAll(async () => {
  if (!available) return;
  for (const file of ['main.js', 'jobs.js', 'object-store.js', 'distributed.js']) {
    if (!existsSync(join(DIST, file))) throw new Error(`${file} is missing from dist/: run npm run build first`);
  }
  folder = tempFolder('document-export-distributed-');
  app = await startDistributed({
    storage,
    dataDir: folder.dir,
    workers: 2,
    concurrency: 1,
    port: 0,
    // Slow enough to kill a worker in the middle of an export (the pauses of one document add up to 3 s at most).
    blockDelayMs: 400,
    // A killed worker's export is taken over once its lease expires.
    leaseTime: '3s',
    onLine: (label, line) => output.push(`[${label}] ${line}`),
  });
  // Only to watch the jobs: the test reads what the dashboard would, from the same storage.
  observer = new Spool({ storage, files: app.files });
}, 120_000);

afterAll(async () => {
  await observer?.close();
  await app?.stop();
  if (available) {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
  folder?.remove();
}, 120_000);

describe.skipIf(!available)('the document export across processes that share only PostgreSQL and an object store', () => {
  it('uploads, exports and downloads while one of two workers is killed in the middle of the export', async () => {
    const res = await upload(app.url, 'quarterly-report.md', readFileSync(join(FIXTURES, 'quarterly-report.md')));
    expect(res.status, output.join('\n')).toBe(202);
    const { jobId, result } = (await res.json()) as { jobId: string; result: string };

    // Wait (bounded) until a worker is laying the document out, then kill that worker outright.
    let runner: string | null = null;
    for (let i = 0; i < 600 && runner === null; i++) {
      const job = await observer.getJob(jobId);
      if (job?.state === 'processing' && (job.progress ?? 0) >= 5 && (job.progress ?? 0) < 90) runner = job.serverId;
      else await sleep(20);
    }
    expect(runner, output.join('\n')).not.toBeNull();
    const victim = app.workers.find((w) => w.serverId === runner)!;
    const survivor = app.workers.find((w) => w !== victim)!;
    const killed = new Promise((resolve) => victim.child.once('exit', resolve));
    victim.child.kill('SIGKILL');
    await killed;

    const status = await waitForFinish(app.url, jobId, undefined, 100);
    expect(status.state, output.join('\n')).toBe('succeeded');

    // The killed worker started it; its lease expired, and the other worker ran it again to the end.
    const job = await observer.getJob(jobId);
    const runs = job!.history.filter((h) => h.state === 'processing').map((h) => h.serverId);
    expect(runs[0]).toBe(victim.serverId);
    expect(runs.at(-1)).toBe(survivor.serverId);
    expect(job!.history.some((h) => h.state === 'enqueued' && /lease/i.test(h.reason))).toBe(true);

    const download = await fetch(`${app.url}${result}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    const pdf = await pdfText(new Uint8Array(await download.arrayBuffer()));
    expect(pdf.text).toContain('Quarterly report');
    expect(pdf.text).toContain('The Spool team shipped three features');

    // The document and the PDF are in the object store, and in no process's own folder.
    const files = observer.files!;
    const documentId = (job!.args as { documentId: string }).documentId;
    expect(await files.head(`uploads/${documentId}.md`)).not.toBeNull();
    expect((await files.head(`exports/${documentId}.pdf`))!.bytes).toBe(status.result!.bytes);
    for (const label of ['web', ...app.workers.map((w) => w.label)]) {
      expect(filesUnder(join(folder.dir, label)).filter((f) => !f.startsWith('local/tmp/'))).toEqual([]);
    }
    expect((await jobStatus(app.url, jobId)).progress).toBe(100);
  }, 120_000);
});
