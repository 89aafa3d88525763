// What the framework integrations' tests share: a Spool on a SQLite file, waiting for a job's state
// with a deadline, a look at the storage after the app has closed, and a visit to the dashboard.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { JobDefinition, JobState } from '@spool/core';
import { Spool, defineJob } from '@spool/core';
import { SqliteStorage } from '@spool/sqlite';
import { expect } from 'vitest';

/** A gate a running job waits on, opened by the test; `entered` settles once the job is waiting. */
export class Gate {
  private openGate!: () => void;
  private enter!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.openGate = resolve));
  readonly entered = new Promise<void>((resolve) => (this.enter = resolve));
  async pass(): Promise<void> {
    this.enter();
    await this.opened;
  }
  open(): void {
    this.openGate();
  }
}

/** The jobs every integration test runs: one that answers at once, one that waits on a gate. */
export function testJobs(gate: Gate): { greet: JobDefinition<{ to: string }, { greeted: string }>; report: JobDefinition<{ id: number }, string> } {
  return {
    greet: defineJob('greetings.send', async (args: { to: string }) => ({ greeted: args.to }), { attempts: 1 }),
    report: defineJob(
      'reports.build',
      async (args: { id: number }) => {
        await gate.pass();
        return `report ${args.id}`;
      },
      { attempts: 1 },
    ),
  };
}

/** A Spool on a SQLite file in a fresh folder. */
export function sqliteSpool(jobs: readonly JobDefinition[]): { spool: Spool; path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'spool-integration-'));
  const path = join(dir, 'spool.db');
  return { spool: new Spool({ storage: new SqliteStorage({ path }), jobs }), path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Polls the job until it is in `state`; fails with the last state seen after `deadlineMs`. */
export async function waitForState(spool: Spool, id: string, state: JobState, deadlineMs = 15_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  let seen: JobState | undefined;
  while (Date.now() < until) {
    seen = (await spool.getJob(id))?.state;
    if (seen === state) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`job ${id} did not reach ${state} within ${deadlineMs} ms; last seen ${seen ?? 'nothing'}`);
}

/** What storage holds after the app closed: the job's state and how many servers are still announced. */
export async function afterClose(path: string, id: string): Promise<{ state: JobState | undefined; servers: number }> {
  const spool = new Spool({ storage: new SqliteStorage({ path }) });
  try {
    await spool.init();
    return { state: (await spool.getJob(id))?.state, servers: (await spool.storage.monitoring.servers()).length };
  } finally {
    await spool.close();
  }
}

/** The CSRF token a dashboard page carries. */
export function csrfOf(page: string): string {
  const match = /<meta name="spool-csrf" content="([^"]+)">/.exec(page);
  if (!match) throw new Error('the page has no CSRF token');
  return match[1]!;
}

/** Posts a urlencoded form without following the redirect. */
export function postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers } });
}

/**
 * Visits the dashboard under `base` as an operator would: the overview page and its script, the JSON
 * API, a delete refused without the CSRF token and done with it (job `deletable` ends `deleted`).
 */
export async function visitDashboard(spool: Spool, origin: string, base: string, deletable: string): Promise<void> {
  const home = await fetch(`${origin}${base}/`);
  expect(home.status).toBe(200);
  const page = await home.text();
  expect(page).toContain(`href="${base}/jobs/enqueued"`);
  const script = /<script src="([^"]+)"/.exec(page)![1]!;
  expect(script.startsWith(`${base}/assets/`)).toBe(true);
  expect((await fetch(`${origin}${script}`)).status).toBe(200);
  expect((await fetch(`${origin}${base}`)).status).toBe(200);

  const stats = (await (await fetch(`${origin}${base}/api/stats`)).json()) as { states: Record<JobState, number> };
  expect(stats.states.succeeded).toBeGreaterThan(0);
  const job = (await (await fetch(`${origin}${base}/api/job/${deletable}`)).json()) as { job: { id: string } };
  expect(job.job.id).toBe(deletable);

  const fields = { action: 'delete', id: deletable, back: `${base}/jobs/scheduled` };
  const refused = await postForm(`${origin}${base}/actions/jobs`, fields, { Origin: origin });
  expect(refused.status).toBe(403);
  expect((await spool.getJob(deletable))?.state).toBe('scheduled');
  const done = await postForm(`${origin}${base}/actions/jobs`, { ...fields, _csrf: csrfOf(page) }, { Origin: origin });
  expect(done.status).toBe(303);
  expect(done.headers.get('location')!.startsWith(`${base}/jobs/scheduled?notice=`)).toBe(true);
  expect((await spool.getJob(deletable))?.state).toBe('deleted');
}

/** Opens the dashboard's live stream and reads its first event; `ended` settles when the server ends the stream. */
export async function openLiveStream(origin: string, base: string): Promise<{ ended: Promise<void> }> {
  const response = await fetch(`${origin}${base}/api/live`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('event: stats')) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the live stream ended before its first event');
    text += decoder.decode(value);
  }
  const ended = (async () => {
    for (;;) {
      const { done } = await reader.read().catch(() => ({ done: true }));
      if (done) return;
    }
  })();
  return { ended };
}
