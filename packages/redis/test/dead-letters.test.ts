import { describe, expect, it } from 'vitest';
import { Spool, defineJob } from '@spool/core';
import type { ErrorRecord } from '@spool/core';
import { RedisStorage } from '@spool/redis';

import { DEAD_LETTERS_SCAN_BOUND } from '../src/dead-letters.js';

import { REDIS_URL, redisAvailable } from './redis-test-env.js';
import { job, useScriptHooks } from './script-hooks.js';

// What the conformance suite's race can only hit by chance on Redis: a write that lands between a
// redrive's read of the jobs and the script that writes core's decisions; and the Redis-only keys.
const available = await redisAvailable();
const { open, fresh } = useScriptHooks('dead');

type Opened = Awaited<ReturnType<typeof fresh>>;

/** Creates `count` jobs, runs them, and records each one's exhausted failure routed to the dead letters. */
async function deadLetters(storage: RedisStorage, ids: Opened['ids'], count: number, error: (n: number) => ErrorRecord = () => ({ name: 'Error', message: 'boom' })) {
  const created = Array.from({ length: count }, () => ids.next());
  for (let from = 0; from < count; from += 1000) await storage.jobsCreate({ jobs: created.slice(from, from + 1000).map((id) => job(id)) });
  const fetched = [];
  while (fetched.length < count) fetched.push(...(await storage.jobsFetch({ queues: ['default'], names: null, limit: 1000, serverId: 's1', leaseMs: 30_000 })));
  const completions = fetched.map((j, n) => ({
    id: j.id,
    leaseToken: j.leaseToken,
    outcome: { state: 'failed' as const, error: error(n), reason: 'No attempts left; moved to the dead letters', deadLetter: true },
  }));
  for (let from = 0; from < count; from += 1000) await storage.jobsComplete({ serverId: 's1', completions: completions.slice(from, from + 1000) });
  return created;
}

const redrive = (storage: RedisStorage, id: string) => storage.deadLettersRedrive({ redrives: [{ id }], reason: 'Redriven' });

describe.skipIf(!available)('dead letters on Redis', () => {
  it('refuses a redrive when another redrive came between its read and its write, so the job runs once', async () => {
    const { prefix, clock, storage, ids, before, replies } = await fresh();
    const other = await open(prefix, clock);
    const [id] = await deadLetters(storage, ids, 1);
    before.set('deadLettersRedrive', async () => {
      expect((await redrive(other.storage, id!)).results[0]).toMatchObject({ ok: true });
    });
    expect(await redrive(storage, id!)).toEqual({ results: [{ id, ok: false, previous: 'enqueued' }] });
    // The script found the job moved and wrote nothing; read again, core refused it as no dead letter.
    expect(replies.filter(([name]) => name === 'deadLettersRedrive').map(([, reply]) => (reply as string[])[0])).toEqual(['0']);
    const history = (await storage.monitoring.jobDetails({ id: id! }))!.history.map((h) => h.state);
    expect(history.filter((s) => s === 'enqueued')).toHaveLength(2);
  });

  it('decides again when the job was redriven and dead-lettered again between its read and its write', async () => {
    const { prefix, clock, storage, ids, before, replies } = await fresh();
    const other = await open(prefix, clock);
    const [id] = await deadLetters(storage, ids, 1);
    before.set('deadLettersRedrive', async () => {
      await redrive(other.storage, id!);
      clock.advance(60_000);
      const [again] = await other.storage.jobsFetch({ queues: ['default'], names: null, limit: 1, serverId: 's2', leaseMs: 30_000 });
      const outcome = { state: 'failed' as const, error: { name: 'HttpError', message: '503' }, reason: 'No attempts left', deadLetter: true };
      await other.storage.jobsComplete({ serverId: 's2', completions: [{ id: id!, leaseToken: again!.leaseToken, outcome }] });
    });
    expect((await redrive(storage, id!)).results).toEqual([{ id, ok: true, previous: 'failed' }]);
    expect(replies.filter(([name]) => name === 'deadLettersRedrive').map(([, reply]) => (reply as string[])[0])).toEqual(['0', '1']);
    // The second decision names the second dead-lettering and its error.
    const last = (await storage.monitoring.jobDetails({ id: id! }))!.history.at(-1)!;
    expect(last.data).toMatchObject({ redrive: true, deadLetteredAt: new Date(clock.now()).toISOString(), error: { name: 'HttpError' } });
  });

  it('leaves no dead-letter key behind once its dead letters are redriven or deleted and expired', async () => {
    const { storage, ids, admin, clock, prefix } = await fresh();
    const [a, b] = await deadLetters(storage, ids, 2, (n) => ({ name: n === 0 ? 'TimeoutError' : 'HttpError', message: 'x' }));
    expect(await storage.deadLettersGroups({ limit: 10 })).toHaveLength(2);
    await redrive(storage, a!);
    await storage.jobSetState({ id: b!, expected: ['failed'], state: 'deleted', reason: 'Deleted' });
    clock.advance(30 * 24 * 3_600_000);
    await storage.jobsExpire({ limit: 100 });
    expect(await storage.jobGet({ id: b! })).toBeNull();
    expect(await storage.deadLettersGroups({ limit: 10 })).toEqual([]);
    expect(await admin.keys(`{${prefix}}:dl*`)).toEqual([]);
  });

  it('answers a filter that few dead letters match in short pages of bounded scans, and finds every match', async () => {
    const { storage, ids } = await fresh();
    const count = DEAD_LETTERS_SCAN_BOUND + 500;
    const created = await deadLetters(storage, ids, count, (n) => ({ name: 'Error', message: n === 0 ? 'needle' : 'hay' }));
    const first = await storage.deadLettersList({ limit: 10, message: 'needle' });
    // The newest dead letters are read first, up to the bound: the oldest one, the match, is not reached.
    expect(first.jobs).toEqual([]);
    expect(first.nextCursor).not.toBeNull();
    const second = await storage.deadLettersList({ limit: 10, message: 'needle', cursor: first.nextCursor });
    expect(second.jobs.map((j) => j.id)).toEqual([created[0]]);
    expect(second.nextCursor).toBeNull();
  });

  it('runs a server whose definitions route to the dead letters, and redrives what it dead-lettered', async () => {
    const { prefix } = await fresh();
    let calls = 0;
    const charge = defineJob(
      'payments.charge',
      async () => {
        calls++;
        if (calls === 1) throw new TypeError('card expired');
        return 'charged';
      },
      { attempts: 1, onExhausted: 'dead-letter' },
    );
    const spool = new Spool({ storage: new RedisStorage({ url: REDIS_URL, prefix }), jobs: [charge] });
    try {
      const id = await spool.enqueue(charge, {});
      expect((await spool.perform(id)).state).toBe('failed');
      expect(await spool.deadLetters.groups()).toMatchObject([{ name: 'payments.charge', errorName: 'TypeError', count: 1 }]);
      expect(await spool.deadLetters.redrive({ id })).toEqual({ redriven: 1, skipped: [] });
      expect((await spool.perform(id)).state).toBe('succeeded');
      const server = await spool.startServer();
      await server.stop();
    } finally {
      await spool.close();
    }
  });
});
