import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { MessagePush } from '../src/start.js';
import { startMessagePush } from '../src/start.js';

type JobStatus = {
  id: string;
  state: string;
  attempts: number;
  result: { devices: number; delivered: unknown[] } | null;
  history: Array<{ state: string; reason: string }>;
};

const MESSAGES = 1000;
let dir: string;
let app: MessagePush;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'message-push-'));
  // A short retry delay keeps the test quick; the demo's 2 s default is for people watching it. At
  // 20 % a device fails all 10 attempts about once in 10 million sends (at 30 %, about once in
  // 170,000: one run in a hundred would see a job fail for good).
  app = await startMessagePush({ storage: `sqlite:${join(dir, 'push.db')}`, port: 0, failureRate: 0.2, retryDelay: '50ms' });
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(body: string): Promise<Response> {
  return fetch(`${app.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

async function status(path: string): Promise<JobStatus> {
  const res = await fetch(`${app.url}${path}`);
  expect(res.status).toBe(200);
  return (await res.json()) as JobStatus;
}

describe('the message-push API', () => {
  it('accepts a burst of 1,000 messages at once and pushes every one, retrying failed pushes', async () => {
    const responses = await Promise.all(
      Array.from({ length: MESSAGES }, (_, i) => post(JSON.stringify({ userId: `user-${(i % 50) + 1}`, text: `message ${i}` }))),
    );
    const accepted = await Promise.all(
      responses.map(async (res) => {
        expect(res.status).toBe(202);
        const body = (await res.json()) as { jobId: string; status: string };
        expect(body.status).toBe(`/api/jobs/${body.jobId}`);
        expect(res.headers.get('location')).toBe(body.status);
        return body;
      }),
    );
    expect(new Set(accepted.map((a) => a.jobId)).size).toBe(MESSAGES);

    // Wait (bounded) until every job has finished, then read each through the status API.
    for (let round = 0; round < 600; round += 1) {
      const { states } = await app.spool.stats();
      if (states.succeeded + states.failed >= MESSAGES) break;
      await sleep(100);
    }
    const jobs = await Promise.all(accepted.map((a) => status(a.status)));
    expect(jobs.filter((j) => j.state !== 'succeeded').map((j) => `${j.id}: ${j.state}`)).toEqual([]);
    for (const job of jobs) expect(job.result!.delivered).toHaveLength(job.result!.devices);

    // With 20% of sends failing, some job was retried: its history shows the failed attempt
    // scheduled for a retry, then the later attempt that succeeded.
    const retried = jobs.filter((j) => j.attempts > 1);
    expect(retried.length).toBeGreaterThan(0);
    const states = retried[0]!.history.map((h) => h.state);
    expect(states.slice(0, 3)).toEqual(['enqueued', 'processing', 'scheduled']);
    expect(states.at(-1)).toBe('succeeded');
    expect(retried[0]!.history.find((h) => h.state === 'scheduled')!.reason).toMatch(/failed: .*not reached.*retry in/);
  });

  it('answers 400 with a JSON error for bad input', async () => {
    for (const body of ['not json', '', '[]', '{"userId":"ann"}', '{"userId":"","text":"hi"}', '{"userId":"ann","text":42}', '{"userId":"ann","text":"hi","extra":1}']) {
      const res = await post(body);
      expect(res.status, body).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/json');
      const json = (await res.json()) as { error: { code: string; message: string } };
      expect(json.error.code).toBe('bad_request');
      expect(json.error.message.length).toBeGreaterThan(0);
    }
  });

  it('answers 404 for an unknown user and an unknown job, 400 for a malformed job id', async () => {
    expect((await post('{"userId":"nobody","text":"hi"}')).status).toBe(404);
    expect((await fetch(`${app.url}/api/jobs/01936a2e-7b1c-7d4e-9f00-5a1b2c3d4e5f`)).status).toBe(404);
    expect((await fetch(`${app.url}/api/jobs/not-an-id`)).status).toBe(400);
  });

  it('answers 405 with the allowed method for a wrong method', async () => {
    const res = await fetch(`${app.url}/api/messages`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});
