import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ConfigError, MemoryStorage, Spool, defineJob } from '@spool/core';
import type { JobStatus } from '@spool/dashboard';
import { JobStatusTokenError, createJobStatus } from '@spool/dashboard';

import { Gate } from './fixtures.js';

const SECRET = 'a test secret of at least thirty-two bytes';

/** Reads server-sent events from a response until `until` says stop (bounded by the test's timeout). */
async function readEvents(response: Response, until: (events: Array<{ event: string; data: unknown }>) => boolean): Promise<Array<{ event: string; data: unknown }>> {
  const events: Array<{ event: string; data: unknown }> = [];
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  while (!until(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  return events;
}

describe('job status pushed to an application’s own pages', () => {
  let spool: Spool;
  let status: JobStatus;
  let url: string;
  let close: () => Promise<void>;
  let clock = Date.now();
  const gate = { half: new Gate(), end: new Gate() };
  const exportJob = defineJob('documents.export', async (_args: { file: string }, ctx) => {
    await ctx.progress(10);
    await gate.half.opened;
    await ctx.progress(60);
    await gate.end.opened;
    return { pages: 3 };
  });

  beforeAll(async () => {
    spool = new Spool({ storage: new MemoryStorage() });
    spool.define(exportJob);
    await spool.startServer({ concurrency: 2, pollInterval: '50ms' });
    status = createJobStatus(spool, { secret: SECRET, basePath: '/job-status', checkInterval: 100 }, { now: () => clock });
    const server = createServer((req, res) => status.handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  });

  afterAll(async () => {
    gate.half.release();
    gate.end.release();
    await close?.();
    await spool?.close();
  });

  const refusal = async (path: string): Promise<{ status: number; code: string }> => {
    const response = await fetch(`${url}${path}`);
    const body = (await response.json()) as { error: { code: string } };
    return { status: response.status, code: body.error.code };
  };

  it('pushes a job’s progress and outcome to the holder of its token, then ends the stream', async () => {
    const id = await spool.enqueue(exportJob, { file: 'q3.md' });
    const response = await fetch(`${url}${status.path(id)}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    // The job goes on as the stream shows each step: 10% lets it reach 60%, 60% lets it finish.
    const events = await readEvents(response, (events) => {
      const shown = events.filter((e) => e.event === 'status').map((e) => (e.data as { progress: number | null }).progress);
      if (shown.includes(10)) gate.half.release();
      if (shown.includes(60)) gate.end.release();
      return events.some((e) => e.event === 'done');
    });
    const progress = events.filter((e) => e.event === 'status').map((e) => (e.data as { progress: number | null }).progress);
    expect(progress).toContain(60);
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect(done.data).toMatchObject({ id, state: 'succeeded', name: 'documents.export' });
    // The default view keeps arguments and result on the server.
    expect(done.data).not.toHaveProperty('args');
    expect(done.data).not.toHaveProperty('result');
  });

  it('refuses a forged, altered or foreign token, and one for another job, with typed errors', async () => {
    const mine = await spool.schedule(exportJob, { file: 'mine.md' }, { delay: '1h' });
    const theirs = await spool.schedule(exportJob, { file: 'theirs.md' }, { delay: '1h' });
    const token = status.token(mine);
    const [version, job, expiry, signature] = token.split('.') as [string, string, string, string];
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    const cases: Array<[string, string, number, string]> = [
      ['no token', `/job-status/${mine}`, 401, 'ERR_STATUS_TOKEN_INVALID'],
      ['garbage', `/job-status/${mine}?token=hello`, 401, 'ERR_STATUS_TOKEN_INVALID'],
      ['a flipped signature', `/job-status/${mine}?token=${version}.${job}.${expiry}.${flipped}`, 401, 'ERR_STATUS_TOKEN_INVALID'],
      ['a later expiry', `/job-status/${mine}?token=${version}.${job}.${Number(expiry) + 86_400}.${signature}`, 401, 'ERR_STATUS_TOKEN_INVALID'],
      ['the token moved to another job', `/job-status/${theirs}?token=${version}.${theirs}.${expiry}.${signature}`, 401, 'ERR_STATUS_TOKEN_INVALID'],
      ['another job’s valid token', `/job-status/${theirs}?token=${token}`, 403, 'ERR_STATUS_TOKEN_OTHER_JOB'],
    ];
    const other = createJobStatus(spool, { secret: 'another application’s secret, also long enough' });
    cases.push(['a token of another secret', `/job-status/${mine}?token=${other.token(mine)}`, 401, 'ERR_STATUS_TOKEN_INVALID']);
    for (const [what, path, code, errorCode] of cases) expect(await refusal(path), what).toEqual({ status: code, code: errorCode });
    expect(() => status.verify(token, theirs)).toThrow(JobStatusTokenError);
  });

  it('refuses a token past its expiry', async () => {
    const id = await spool.schedule(exportJob, { file: 'late.md' }, { delay: '1h' });
    const token = status.token(id, { ttl: '10m' });
    expect(() => status.verify(token, id)).not.toThrow();
    clock += 10 * 60_000 + 1000;
    try {
      expect(await refusal(`/job-status/${id}?token=${token}`)).toEqual({ status: 401, code: 'ERR_STATUS_TOKEN_EXPIRED' });
      const error = (() => {
        try {
          status.verify(token, id);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(JobStatusTokenError);
      expect((error as JobStatusTokenError).problem).toBe('expired');
    } finally {
      clock = Date.now();
    }
  });

  it('answers 404 for a job that does not exist, and serves its browser client', async () => {
    const missing = '0190a000-0000-7000-8000-000000000000';
    expect(await refusal(status.path(missing))).toEqual({ status: 404, code: 'ERR_JOB_NOT_FOUND' });
    const client = await fetch(`${url}/job-status/client.js`);
    expect(client.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await client.text()).toContain('export function watchJob');
  });

  it('refuses a short secret when it is created', () => {
    expect(() => createJobStatus(spool, { secret: 'short' })).toThrow(ConfigError);
  });

  it('mounts in Express and Fastify as it is documented', async () => {
    const id = await spool.schedule(exportJob, { file: 'mounted.md' }, { delay: '1h' });
    const firstEvent = async (base: string): Promise<unknown> => {
      const response = await fetch(`${base}${status.path(id)}`);
      expect(response.status).toBe(200);
      return (await readEvents(response, (events) => events.length > 0))[0];
    };

    const app = express();
    app.use('/job-status', status.handler);
    const expressServer = createServer(app);
    await new Promise<void>((resolve) => expressServer.listen(0, '127.0.0.1', resolve));
    try {
      expect(await firstEvent(`http://127.0.0.1:${(expressServer.address() as AddressInfo).port}`)).toMatchObject({ event: 'status', data: { id, state: 'scheduled' } });
    } finally {
      expressServer.closeAllConnections();
      await new Promise((resolve) => expressServer.close(resolve));
    }

    const fastify = Fastify();
    fastify.get('/job-status/*', (request, reply) => {
      reply.hijack();
      status.handler(request.raw, reply.raw);
    });
    const address = await fastify.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect(await firstEvent(address)).toMatchObject({ event: 'status', data: { id, state: 'scheduled' } });
    } finally {
      fastify.server.closeAllConnections();
      await fastify.close();
    }
  });
});
