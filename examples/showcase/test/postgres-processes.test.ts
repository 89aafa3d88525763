import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const POSTGRES_URL = process.env.SPOOL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const LAUNCHER = fileURLToPath(new URL('../dist/start-postgres.js', import.meta.url));
const WORKERS = 2;
const PUSHES = 40;

async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch (error) {
    const message = `PostgreSQL is not reachable at ${POSTGRES_URL} (${error instanceof Error ? error.message : String(error)}); set SPOOL_TEST_POSTGRES_URL.`;
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`\n!!! SKIPPING the showcase's PostgreSQL test: ${message}\n`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function sql(text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

const available = await postgresAvailable();
const schema = `showcase_${randomBytes(6).toString('hex')}`;
let dir: string;
let launcher: ChildProcess | null = null;
const output: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'showcase-pg-'));
});

afterAll(async () => {
  if (launcher && launcher.exitCode === null) launcher.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  if (available) await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
});

/** Waits (bounded) for a line of the launcher's output that matches. */
async function waitForLine(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const line of output) {
      const match = pattern.exec(line);
      if (match) return match;
    }
    await sleep(50);
  }
  throw new Error(`no output line matched ${pattern} within ${timeoutMs} ms:\n${output.join('\n')}`);
}

describe.skipIf(!available)('npm run start:postgres: the web process and worker processes on one PostgreSQL', () => {
  it('runs the jobs enqueued by the web process in the worker processes, and stops them all gracefully', async () => {
    const url = new URL(POSTGRES_URL);
    url.searchParams.set('schema', schema);
    launcher = spawn(process.execPath, [LAUNCHER], {
      env: { ...process.env, SPOOL_STORAGE: url.toString(), WORKERS: String(WORKERS), PORT: '0', DATA_DIR: dir, PUSH_FAILURE_RATE: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [launcher.stdout!, launcher.stderr!]) createInterface({ input: stream }).on('line', (line) => output.push(line));
    const [, origin] = await waitForLine(/^\[web\] Spool showcase on (http:\/\/\S+)/);
    for (let i = 1; i <= WORKERS; i++) await waitForLine(new RegExp(`^\\[worker ${i}\\] worker \\S+: running`));

    const statuses = await Promise.all(
      Array.from({ length: PUSHES }, async (_, i) => {
        const res = await fetch(`${origin}/push/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userId: `user-${(i % 50) + 1}`, text: `across processes ${i}` }),
        });
        expect(res.status).toBe(202);
        return ((await res.json()) as { status: string }).status;
      }),
    );
    const startedBy = new Set<string>();
    for (const status of statuses) {
      let job: { state: string; history: Array<{ state: string; reason: string }> } = { state: '', history: [] };
      for (let round = 0; round < 300 && job.state !== 'succeeded'; round++) {
        job = (await (await fetch(`${origin}${status}`)).json()) as typeof job;
        if (job.state !== 'succeeded') await sleep(50);
      }
      expect(job.state).toBe('succeeded');
      startedBy.add(job.history.find((h) => h.state === 'processing')!.reason.replace('Started by server ', ''));
    }
    // The web process runs no Spool server: the servers alive are the workers' (one per example
    // each), in exactly WORKERS processes, and every push was started by one of them.
    const { rows } = await sql(`SELECT id, pid FROM ${schema}.servers`);
    expect(new Set(rows.map((r) => r.pid as number)).size).toBe(WORKERS);
    const workerServers = new Set(rows.map((r) => r.id as string));
    for (const server of startedBy) expect(workerServers.has(server), server).toBe(true);

    launcher.kill('SIGTERM');
    const exitCode = await new Promise<number | null>((resolve) => launcher!.once('exit', (code) => resolve(code)));
    expect(exitCode, output.join('\n')).toBe(0);
  });
});
