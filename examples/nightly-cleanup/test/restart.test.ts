import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ManualClock } from 'spool';
import { afterEach, describe, expect, it } from 'vitest';

import { CLEANUP_JOB, NIGHTLY_CLEANUP_ID } from '../src/cleanup-job.js';
import type { NightlyCleanupHost } from '../src/start.js';
import { startNightlyCleanup } from '../src/start.js';
import { quickServer, waitFor, writeFileAt } from './helpers.js';

const DAY = 86_400_000;
let dir: string;
const hosts: NightlyCleanupHost[] = [];

afterEach(async () => {
  for (const host of hosts.splice(0)) await host.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the nightly cleanup across a restart of its host', () => {
  it('fires the night it missed while the host was down exactly once after the restart, at 03:00 Berlin time', async () => {
    dir = mkdtempSync(join(tmpdir(), 'nightly-cleanup-restart-'));
    const exportsDir = join(dir, 'exports');
    mkdirSync(exportsDir);
    const storage = `sqlite:${join(dir, 'spool.db')}`;
    // Spool's clock is injected, so the nights pass without waiting for them.
    const clock = new ManualClock(new Date('2030-03-09T12:00:00Z'));
    const start = () => startNightlyCleanup({ storage, folders: [exportsDir], port: 0, server: quickServer }, { clock }).then((host) => (hosts.push(host), host));

    // The host starts on a Saturday at noon: the next run is Sunday 03:00 in Berlin, 02:00 UTC in winter.
    const first = await start();
    expect((await first.spool.recurring.get(NIGHTLY_CLEANUP_ID))!.nextRunAt!.toISOString()).toBe('2030-03-10T02:00:00.000Z');
    await first.close();
    hosts.splice(0);

    // Down for two nights (Sunday and Monday 03:00 pass); it comes back on Monday morning.
    clock.set(new Date('2030-03-11T08:00:00Z'));
    writeFileAt(join(exportsDir, 'old.pdf'), clock.now() - 10 * DAY);
    writeFileAt(join(exportsDir, 'recent.pdf'), clock.now() - 2 * DAY);
    writeFileAt(join(exportsDir, 'old.pdf.tmp'), clock.now() - 10 * DAY);
    const second = await start();

    // The default misfire policy fires one job for the missed nights, not one per night.
    const job = await waitFor(async () => {
      const { jobs } = await second.spool.storage.monitoring.jobsList({ name: CLEANUP_JOB, limit: 10 });
      return jobs.length > 0 && jobs.every((j) => j.state === 'succeeded') ? jobs : null;
    }, 'the missed cleanup to run');
    expect(job).toHaveLength(1);
    expect(job[0]!.result).toMatchObject({ deleted: 1, kept: 1, inProgress: 1 });
    expect(job[0]!.parameters.recurringOccurrence).toMatch(/^2030-03-1[01]T02:00:00.000Z$/);
    expect(existsSync(join(exportsDir, 'old.pdf'))).toBe(false);
    expect(existsSync(join(exportsDir, 'recent.pdf'))).toBe(true);
    expect(existsSync(join(exportsDir, 'old.pdf.tmp'))).toBe(true);

    const record = (await second.spool.recurring.get(NIGHTLY_CLEANUP_ID))!;
    expect(record.nextRunAt!.toISOString()).toBe('2030-03-12T02:00:00.000Z');
    expect(record.lastJobId).toBe(job[0]!.id);
    // Several more scheduler passes fire nothing more until the next night.
    const passes = 5;
    await new Promise((resolve) => setTimeout(resolve, passes * quickServer.recurringPollInterval));
    expect((await second.spool.storage.monitoring.jobsList({ name: CLEANUP_JOB, limit: 10 })).jobs).toHaveLength(1);

    // The next night fires on time, in Berlin time also after the change to summer time (31 March).
    clock.set(new Date('2030-03-12T02:00:01Z'));
    await waitFor(async () => (await second.spool.storage.monitoring.jobsList({ name: CLEANUP_JOB, limit: 10 })).jobs.length === 2, 'the next night');
    clock.set(new Date('2030-04-01T12:00:00Z'));
    await waitFor(async () => (await second.spool.recurring.get(NIGHTLY_CLEANUP_ID))!.nextRunAt?.toISOString() === '2030-04-02T01:00:00.000Z', 'the summer-time schedule');
  });
});
