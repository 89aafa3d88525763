import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Spool } from 'spool';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CompletedLog } from '../src/completed-log.js';
import type { WorkStatus } from '../src/mount.js';

/** The built standalone host, started as a user would: `node dist/main.js`. */
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const EMAILS = 20;

let dir: string;
let db: string;
let completedFile: string;
let client: Spool;
const hosts: ChildProcess[] = [];

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first (npm test does).`);
  dir = mkdtempSync(join(tmpdir(), 'in-process-queue-'));
  db = join(dir, 'spool.db');
  completedFile = join(dir, 'sent.log');
  // The test's own client on the host's SQLite file, to read the jobs as the dashboard would.
  client = new Spool({ storage: `sqlite:${db}` });
  await client.init();
});

afterAll(async () => {
  for (const host of hosts) if (host.exitCode === null && host.signalCode === null) host.kill('SIGKILL');
  await client?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts the host process on the test's SQLite file; resolves with its URL once it listens. */
async function startHost(): Promise<{ process: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      SPOOL_STORAGE: `sqlite:${db}`,
      COMPLETED_FILE: completedFile,
      EMAIL_LATENCY_MS: '300',
      QUEUE_CAPACITY: '50',
      QUEUE_CONSUMERS: '2',
      SPOOL_CONCURRENCY: '2',
      // A short lease, so that the jobs the killed host was running are rescued within seconds.
      LEASE_TIME: '2s',
      WORKER: 'on',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  hosts.push(child);
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the host did not start within 20 s:\n${output}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the host exited early (${code ?? signal}):\n${output}`));
    });
  });
  return { process: child, url };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function burst(url: string, via: 'memory' | 'spool', count: number): Promise<{ accepted: number; producerWaits: number; ids: string[] }> {
  const res = await fetch(`${url}/api/burst`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ via, count }) });
  expect(res.status).toBe(200);
  return (await res.json()) as { accepted: number; producerWaits: number; ids: string[] };
}

const sent = (via: 'memory' | 'spool') => CompletedLog.read(completedFile).filter((e) => e.via === via).map((e) => e.id);

describe('a host killed while work is pending', () => {
  it('loses what the in-memory queue held, while every Spool job completes after the restart', async () => {
    const first = await startHost();
    const memory = await burst(first.url, 'memory', EMAILS);
    const spool = await burst(first.url, 'spool', EMAILS);
    expect(memory.accepted).toBe(EMAILS);
    expect(spool.accepted).toBe(EMAILS);

    // Both paths have started sending, and Spool has jobs running, when the host dies.
    await until(() => sent('memory').length > 0 && sent('spool').length > 0, 'the first emails sent on both paths', 20_000);
    await until(async () => (await client.stats()).states.processing > 0, 'Spool jobs running', 20_000);
    process.kill(first.process.pid!, 'SIGKILL');
    await exited(first.process);

    const memorySentBeforeCrash = new Set(sent('memory'));
    const spoolSentBeforeCrash = new Set(sent('spool'));
    expect(memorySentBeforeCrash.size).toBeLessThan(EMAILS);
    expect(spoolSentBeforeCrash.size).toBeLessThan(EMAILS);
    const running = (await client.storage.monitoring.jobsList({ state: 'processing', limit: 100 })).jobs.map((j) => j.id);
    expect(running.length).toBeGreaterThan(0);

    const second = await startHost();
    await until(
      async () => (await Promise.all(spool.ids.map((id) => client.getJob(id)))).every((job) => job?.state === 'succeeded'),
      'every Spool job to succeed after the restart',
      60_000,
    );

    // Spool: every email was sent at least once, and the jobs the dead host was running show their rescue.
    const spoolSent = new Set(sent('spool'));
    expect(spool.ids.filter((id) => !spoolSent.has(id))).toEqual([]);
    for (const id of running) {
      const job = (await client.getJob(id))!;
      expect(job.history.some((h) => h.state === 'enqueued' && /Lease expired/.test(h.reason)), `history of ${id}`).toBe(true);
      expect(job.history.at(-1)!.state).toBe('succeeded');
    }

    // The in-memory queue: what it held died with the process. The new host never sends it.
    const status = (await (await fetch(`${second.url}/api/status`)).json()) as WorkStatus;
    expect(status.memory).toMatchObject({ buffered: 0, sending: 0, waitingProducers: 0 });
    expect(status.sentHere.memory).toBe(0);
    expect(new Set(sent('memory'))).toEqual(memorySentBeforeCrash);
    const lost = memory.ids.filter((id) => !memorySentBeforeCrash.has(id));
    expect(lost.length).toBeGreaterThan(0);
    expect(lost.length + memorySentBeforeCrash.size).toBe(EMAILS);

    second.process.kill('SIGTERM');
    await exited(second.process);
    expect(second.process.exitCode).toBe(0);
  });
});
