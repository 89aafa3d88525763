import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Spool } from 'spool';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLEANUP_JOB, NIGHTLY_CLEANUP_ID } from '../src/cleanup-job.js';
import { waitFor, writeFileAt } from './helpers.js';

/** The built standalone app, started as a user would: `node dist/main.js`. */
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const TIMEZONE = 'Europe/Berlin';
const DAY = 86_400_000;

let dir: string;
let exportsDir: string;
let db: string;
let client: Spool;
const hosts: ChildProcess[] = [];

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first (npm test does).`);
  dir = mkdtempSync(join(tmpdir(), 'nightly-cleanup-process-'));
  exportsDir = join(dir, 'exports');
  mkdirSync(exportsDir);
  db = join(dir, 'spool.db');
  client = new Spool({ storage: `sqlite:${db}` });
  await client.init();
});

afterAll(async () => {
  for (const host of hosts) if (host.exitCode === null && host.signalCode === null) host.kill('SIGKILL');
  await client?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A cron expression (with seconds) that fires once a year, at `at` as read in the time zone. */
function cronAt(at: Date, timezone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', second: 'numeric', minute: 'numeric', hour: 'numeric', day: 'numeric', month: 'numeric' })
      .formatToParts(at)
      .map((p) => [p.type, Number(p.value)]),
  );
  return `${parts.second} ${parts.minute} ${parts.hour} ${parts.day} ${parts.month} *`;
}

async function startHost(cron: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SPOOL_STORAGE: `sqlite:${db}`, CLEANUP_FOLDERS: exportsDir, CLEANUP_CRON: cron, CLEANUP_TIMEZONE: TIMEZONE, WORKER: 'on' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  hosts.push(child);
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the host did not start within 20 s:\n${output}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/listening on http/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the host exited early (${code ?? signal}):\n${output}`));
    });
  });
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

const cleanupJobs = async () => (await client.storage.monitoring.jobsList({ name: CLEANUP_JOB, limit: 10 })).jobs;

describe('the nightly cleanup app, killed and started again', () => {
  it('runs the occurrence that passed while it was down once, after the restart', async () => {
    writeFileAt(join(exportsDir, 'old-export.pdf'), Date.now() - 10 * DAY);
    writeFileAt(join(exportsDir, 'fresh-export.pdf'), Date.now());
    // An occurrence a few seconds ahead, written in Berlin time as the app's schedule.
    const occurrence = new Date(Math.ceil((Date.now() + 8000) / 1000) * 1000);
    const cron = cronAt(occurrence, TIMEZONE);

    const first = await startHost(cron);
    const record = (await client.recurring.get(NIGHTLY_CLEANUP_ID))!;
    expect(record).toMatchObject({ cron, timezone: TIMEZONE, paused: false });
    expect(record.nextRunAt!.toISOString()).toBe(occurrence.toISOString());
    process.kill(first.pid!, 'SIGKILL');
    await exited(first);

    // The occurrence passes while no host runs: nothing fires.
    await waitFor(() => Date.now() > occurrence.getTime() + 1000, 'the occurrence to pass', 20_000);
    expect(await cleanupJobs()).toEqual([]);
    expect(existsSync(join(exportsDir, 'old-export.pdf'))).toBe(true);

    const second = await startHost(cron);
    const [job] = await waitFor(async () => {
      const jobs = await cleanupJobs();
      return jobs.length > 0 && jobs[0]!.state === 'succeeded' ? jobs : null;
    }, 'the missed cleanup to run after the restart');
    expect(job!.parameters.recurringOccurrence).toBe(occurrence.toISOString());
    expect(job!.result).toMatchObject({ deleted: 1, kept: 1, deletedFiles: ['old-export.pdf'] });
    expect(existsSync(join(exportsDir, 'old-export.pdf'))).toBe(false);
    expect(existsSync(join(exportsDir, 'fresh-export.pdf'))).toBe(true);
    // Exactly once: the next run moved a year on, and further scheduler passes add nothing.
    const after = (await client.recurring.get(NIGHTLY_CLEANUP_ID))!;
    expect(after.lastJobId).toBe(job!.id);
    expect(after.nextRunAt!.getTime()).toBeGreaterThan(occurrence.getTime() + 300 * DAY);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await cleanupJobs()).toHaveLength(1);

    second.kill('SIGTERM');
    await exited(second);
    expect(second.exitCode).toBe(0);
  });
});
