import { afterEach, describe, expect, it } from 'vitest';
import type { ManualRuntime, Spool } from '@spool/core';
import { defineJob } from '@spool/core';
import { ServerEventLog, driveUntil, drivenServer, drivenSpool } from './driven-server.js';

let spool: Spool;
let runtime: ManualRuntime;

afterEach(async () => {
  if (spool) await driveUntil(runtime, spool.close());
});

describe('whatever a handler throws', () => {
  const hostile: Array<[string, () => unknown]> = [
    [
      'a null-prototype object with a cycle',
      () => {
        const value = Object.create(null) as Record<string, unknown>;
        value.self = value;
        return value;
      },
    ],
    [
      'an Error whose message getter throws',
      () => {
        const error = new Error('hidden');
        Object.defineProperty(error, 'message', {
          get() {
            throw new Error('no message for you');
          },
        });
        return error;
      },
    ],
    [
      'an Error whose name, code and cause are objects and getters that throw',
      () => {
        const error = new Error('odd');
        Object.defineProperty(error, 'name', { value: { not: 'a string' } });
        Object.defineProperty(error, 'code', {
          get() {
            throw new Error('no code');
          },
        });
        Object.defineProperty(error, 'cause', {
          get() {
            throw new Error('no cause');
          },
        });
        return error;
      },
    ],
    [
      'a revoked Proxy',
      () => {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      },
    ],
    ['a BigInt', () => 10n],
  ];

  for (const [label, make] of hostile) {
    it(`is recorded as the job's error: ${label}`, async () => {
      const thrower = defineJob('thrower', () => {
        throw make();
      }, { attempts: 1 });
      ({ spool, runtime } = drivenSpool([thrower]));
      const server = await spool.startServer(drivenServer);
      const log = new ServerEventLog(server);
      const runnerErrors: unknown[] = [];
      server.events.on('error', ({ process, error }) => process === 'runner' && runnerErrors.push(error));
      const id = await spool.enqueue(thrower, null);
      await log.nextFor('job:failed', id);
      const job = (await spool.getJob(id))!;
      expect(job.attempt).toBe(1);
      expect(typeof job.error?.name).toBe('string');
      expect(typeof job.error?.message).toBe('string');
      expect(runnerErrors).toEqual([]);
    });
  }
});

describe('a retry policy function that throws', () => {
  it('does not keep the failure from being recorded: the retry takes the default curve', async () => {
    const flaky = defineJob('flaky', () => {
      throw new Error('try again');
    }, {
      attempts: 3,
      backoff: () => {
        throw new Error('the policy itself is broken');
      },
    });
    ({ spool, runtime } = drivenSpool([flaky]));
    const log = new ServerEventLog(await spool.startServer(drivenServer));
    const id = await spool.enqueue(flaky, null);
    await log.nextFor('job:retry-scheduled', id);
    const job = (await spool.getJob(id))!;
    expect(job.state).toBe('scheduled');
    expect(job.attempt).toBe(1);
    expect(job.error?.message).toBe('try again');
  });
});
