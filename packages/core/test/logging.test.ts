import { Writable } from 'node:stream';

import { ConfigError, defineJob, MemoryStorage, Spool } from '@spool/core';
import type { Logger } from '@spool/core';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { fastServer, waitFor, waitForState } from './helpers.js';

/** A real pino logger writing JSON lines into memory, and the lines it wrote so far. */
function memoryPino(level: 'debug' | 'info' = 'debug') {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

const PINO_LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

describe('the logger option', () => {
  let spool: Spool | undefined;
  afterEach(async () => {
    await spool?.close();
    spool = undefined;
  });

  it('logs a server lifecycle and its jobs through pino, with job id and name at sensible levels', async () => {
    const { logger, lines } = memoryPino();
    const ok = defineJob('reports.build', () => 'done', { queue: 'reports' });
    const broken = defineJob('mail.send', () => {
      throw new Error('SMTP refused');
    }, { attempts: 2, backoff: { type: 'fixed', delay: 10 } });
    spool = new Spool({ storage: new MemoryStorage(), jobs: [ok, broken], logger });
    const server = await spool.startServer({ ...fastServer, queues: ['reports', 'default'] });
    const okId = await spool.enqueue(ok, null);
    const brokenId = await spool.enqueue(broken, null);
    await waitForState(spool, okId, 'succeeded');
    await waitForState(spool, brokenId, 'failed');
    await server.stop();

    const find = (msg: string, jobId?: string) => lines.find((l) => String(l.msg).startsWith(msg) && (jobId === undefined || l.jobId === jobId));
    expect(find('Spool server started')).toMatchObject({ level: PINO_LEVEL.info, serverId: server.id, queues: ['reports', 'default'], concurrency: 10 });
    expect(find('job started', okId)).toMatchObject({ level: PINO_LEVEL.debug, jobName: 'reports.build', queue: 'reports', attempt: 1 });
    expect(find('job succeeded', okId)).toMatchObject({ level: PINO_LEVEL.debug, jobName: 'reports.build', serverId: server.id });
    expect(typeof find('job succeeded', okId)?.durationMs).toBe('number');
    expect(find('job failed, retry scheduled', brokenId)).toMatchObject({ level: PINO_LEVEL.warn, jobName: 'mail.send', attempt: 1, err: { type: 'Error', message: 'SMTP refused' } });
    expect(find('job failed: SMTP refused', brokenId)).toMatchObject({ level: PINO_LEVEL.error, jobName: 'mail.send', attempt: 2 });
    expect(find('Spool server stopped')).toMatchObject({ level: PINO_LEVEL.info, serverId: server.id, unrecorded: 0 });
  });

  it('lets a server take its own logger over the instance one', async () => {
    const instance = memoryPino();
    const own = memoryPino('info');
    spool = new Spool({ storage: new MemoryStorage(), jobs: [defineJob('ok', () => 1)], logger: instance.logger });
    const server = await spool.startServer({ ...fastServer, logger: own.logger });
    await server.stop();
    expect(own.lines.map((l) => l.msg)).toEqual(['Spool server started', 'Spool server stopped']);
    expect(instance.lines).toEqual([]);
  });

  it('logs a failing background process as an error and keeps serving', async () => {
    const { logger, lines } = memoryPino('info');
    const storage = new MemoryStorage();
    const fetch = storage.jobsFetch.bind(storage);
    let failures = 1;
    storage.jobsFetch = async (params) => {
      if (failures-- > 0) throw new Error('storage unavailable');
      return fetch(params);
    };
    const ok = defineJob('ok', () => 1);
    spool = new Spool({ storage, jobs: [ok], logger });
    await spool.startServer(fastServer);
    const id = await spool.enqueue(ok, null);
    await waitForState(spool, id, 'succeeded');
    const line = await waitFor(() => lines.find((l) => l.process === 'fetch'), 'the error line');
    expect(line).toMatchObject({ level: PINO_LEVEL.error, msg: 'Spool server process "fetch" failed: storage unavailable', err: { message: 'storage unavailable' } });
    expect(String((line.err as { stack?: string }).stack)).toContain('storage unavailable');
  });

  it('takes any object with the four level methods, console included', () => {
    const calls: string[] = [];
    const minimal: Logger = { debug: () => calls.push('debug'), info: () => calls.push('info'), warn: () => calls.push('warn'), error: () => calls.push('error') };
    expect(() => new Spool({ storage: new MemoryStorage(), logger: minimal })).not.toThrow();
    expect(() => new Spool({ storage: new MemoryStorage(), logger: console })).not.toThrow();
  });

  it('refuses a logger without the level methods, saying which are missing', () => {
    const error = (() => {
      try {
        new Spool({ storage: new MemoryStorage(), logger: { info: () => undefined } as unknown as Logger });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('without debug, warn, error');
  });
});
