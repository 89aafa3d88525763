import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, JobNotFoundError, ManualClock, MemoryStorage, Spool, StorageError, UnknownJobError, defineJob } from '@spool/core';
import { BY_NAME } from './helpers.js';

const send = defineJob('messages.send', async (args: { to: string }) => ({ sentTo: args.to }), { queue: 'mail', priority: 5 });

class Mailer {
  send(to: string, subject: string): string {
    return `${to}:${subject}`;
  }
}

let spool: Spool;
let clock: ManualClock;

function make(): Spool {
  clock = new ManualClock(Date.UTC(2030, 0, 1));
  spool = new Spool({ storage: new MemoryStorage({ clock }), jobs: [send] }, { clock });
  return spool;
}

afterEach(async () => {
  await spool?.close();
});

describe('the client', () => {
  it('enqueues a job with the definition options and records its creation', async () => {
    make();
    const id = await spool.enqueue(send, { to: 'ann' });
    const job = await spool.getJob(id);
    expect(job).toMatchObject({ id, name: 'messages.send', state: 'enqueued', queue: 'mail', priority: 5, args: { to: 'ann' }, attempt: 0, maxAttempts: 10 });
    expect(job!.history.map((h) => h.state)).toEqual(['enqueued']);
  });

  it('lets enqueue options override the definition', async () => {
    make();
    const id = await spool.enqueue(send, { to: 'bo' }, { queue: 'critical', priority: 9, attempts: 3, timeout: '5s', retention: null });
    expect(await spool.getJob(id)).toMatchObject({ queue: 'critical', priority: 9, maxAttempts: 3, timeoutMs: 5000, retentionMs: null });
  });

  it('schedules a job by delay or by time', async () => {
    make();
    const byDelay = await spool.schedule(send, { to: 'c' }, { delay: '10m' });
    const at = new Date(Date.UTC(2030, 0, 2));
    const byTime = await spool.schedule(send, { to: 'd' }, { at });
    expect((await spool.getJob(byDelay))!.runAt!.getTime()).toBe(clock.now() + 600_000);
    expect((await spool.getJob(byTime))!).toMatchObject({ state: 'scheduled', runAt: at });
    await expect(spool.schedule(send, { to: 'e' }, {} as never)).rejects.toThrow(ConfigError);
  });

  it('enqueues many jobs in one call, in order', async () => {
    make();
    const ids = await spool.enqueueMany(send, [{ to: 'a' }, { to: 'b' }, { to: 'c' }]);
    expect(ids).toHaveLength(3);
    expect([...ids].sort()).toEqual(ids);
    expect((await spool.stats()).states.enqueued).toBe(3);
  });

  it('returns the first job id for a second enqueue with the same unique key while the first is active', async () => {
    make();
    const first = await spool.enqueue(send, { to: 'a' }, { uniqueKey: 'welcome:a' });
    const second = await spool.enqueue(send, { to: 'a' }, { uniqueKey: 'welcome:a' });
    expect(second).toBe(first);
    const concurrent = await Promise.all(Array.from({ length: 20 }, () => spool.enqueue(send, { to: 'z' }, { uniqueKey: 'z' })));
    expect(new Set(concurrent).size).toBe(1);
    await spool.delete(first);
    const third = await spool.enqueue(send, { to: 'a' }, { uniqueKey: 'welcome:a' });
    expect(third).not.toBe(first);
  });

  it('refuses a unique key that holds NUL or a lone surrogate, which no storage can keep exactly', async () => {
    make();
    for (const uniqueKey of ['a\u0000b', 'x\ud800', '\udfff', '', 'k'.repeat(501)]) {
      await expect(spool.enqueue(send, { to: 'a' }, { uniqueKey })).rejects.toBeInstanceOf(ConfigError);
    }
    expect((await spool.stats()).states.enqueued).toBe(0);
    expect(await spool.enqueue(send, { to: 'a' }, { uniqueKey: `pair \u{1F600} ${'k'.repeat(490)}` })).toBeTypeOf('string');
  });

  it('deletes, requeues and retries jobs with reasons in the history', async () => {
    make();
    const id = await spool.enqueue(send, { to: 'a' });
    expect(await spool.delete(id)).toBe(true);
    expect(await spool.delete(id)).toBe(false);
    expect(await spool.retry(id)).toBe(false);
    expect(await spool.requeue(id)).toBe(true);
    const job = await spool.getJob(id);
    expect(job!.history.map((h) => [h.state, h.reason])).toEqual([
      ['enqueued', 'Enqueued'],
      ['deleted', 'Deleted by request'],
      ['enqueued', 'Requeued by request'],
    ]);
    await expect(spool.delete('0190d7a2-0000-7000-8000-000000000000')).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it('stores and reads job parameters', async () => {
    make();
    const id = await spool.enqueue(send, { to: 'a' }, { parameters: { tenant: 't0' } });
    expect(await spool.getParameter(id, 'tenant')).toBe('t0');
    await spool.setParameter(id, 'tenant', 't1');
    await spool.setParameter(id, 'trace', { span: 1 });
    expect(await spool.getParameter(id, 'tenant')).toBe('t1');
    expect(await spool.getParameter(id, 'trace')).toEqual({ span: 1 });
    expect(await spool.getParameter(id, 'missing')).toBeUndefined();
  });

  it('sets a time to live and persists a finished job', async () => {
    make();
    const id = await spool.enqueue(send, { to: 'a' });
    await spool.delete(id);
    expect((await spool.getJob(id))!.expiresAt!.getTime()).toBe(clock.now() + 86_400_000);
    await spool.expire(id, '1h');
    expect((await spool.getJob(id))!.expiresAt!.getTime()).toBe(clock.now() + 3_600_000);
    await spool.persist(id);
    expect((await spool.getJob(id))!.expiresAt).toBeNull();
  });

  it('captures a method call of a registered class as a typed job', async () => {
    make();
    spool.register(Mailer);
    const id = await spool.enqueue(Mailer, (m) => m.send('ann', 'hello'));
    expect(await spool.getJob(id)).toMatchObject({ name: 'Mailer.send', args: ['ann', 'hello'] });
    const result = await spool.perform(id);
    expect(result.state).toBe('succeeded');
    expect(result.job!.result).toBe('ann:hello');
  });

  it('refuses a class that is not registered, saying how to register it', async () => {
    make();
    class Unregistered {
      run(): void {}
    }
    await expect(spool.enqueue(Unregistered, (u) => u.run())).rejects.toThrow(UnknownJobError);
    await expect(spool.enqueue(Unregistered, (u) => u.run())).rejects.toThrow(/spool\.register\(Unregistered\)/);
  });

  it('enqueues by name a job whose definition lives elsewhere, with the queue, attempts and timeout it states', async () => {
    make();
    const id = await spool.enqueue('reports.build', { month: '2030-01' }, { queue: 'reports', attempts: 1, timeout: '5m' });
    expect(await spool.getJob(id)).toMatchObject({ name: 'reports.build', queue: 'reports', maxAttempts: 1, timeoutMs: 300_000 });
  });

  it('refuses to enqueue by name a job it has no definition of when the options that decide where and how it runs are missing', async () => {
    make();
    const refused = await spool.enqueue('reports.build', { month: '2030-01' }, { queue: 'reports' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).problems).toEqual([
      { path: 'enqueue "reports.build"', message: expect.stringContaining('missing: attempts, timeout; timeout: null for no limit') },
    ]);
    await expect(spool.continueWith(await spool.enqueue(send, { to: 'a' }), 'reports.build', null)).rejects.toThrow(/no definition of "reports.build"/);
    // What this Spool has a definition of takes the definition's options, by name too.
    expect(await spool.getJob(await spool.enqueue('messages.send', { to: 'b' }))).toMatchObject({ queue: send.options.queue, maxAttempts: send.options.attempts });
    expect((await spool.stats()).states).toMatchObject({ enqueued: 2, awaiting: 0 });
  });

  it('creates a continuation that waits for its parent', async () => {
    make();
    const parent = await spool.enqueue(send, { to: 'a' });
    const child = await spool.continueWith(parent, send, { to: 'b' }, { on: 'succeeded' });
    expect((await spool.getJob(child))!.state).toBe('awaiting');
    await expect(spool.continueWith('0190d7a2-0000-7000-8000-000000000000', send, { to: 'c' })).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it('runs a stored job inline with perform, through the state machine', async () => {
    make();
    const id = await spool.enqueue(send, { to: 'p' });
    const result = await spool.perform(id);
    expect(result.state).toBe('succeeded');
    expect(result.job!.result).toEqual({ sentTo: 'p' });
    expect(result.job!.history.map((h) => h.state)).toEqual(['enqueued', 'processing', 'succeeded']);
  });
});

describe('enqueueing inside a transaction', () => {
  it('is refused with ERR_CAPABILITY_MISSING on a storage that cannot join one, and nothing is stored', async () => {
    make();
    await expect(spool.enqueue(send, { to: 'a' }, { transaction: {} })).rejects.toMatchObject({ code: 'ERR_CAPABILITY_MISSING' });
    expect((await spool.stats()).states.enqueued).toBe(0);
  });
});

describe('a storage that fails its first start', () => {
  it('is opened again by the next call instead of failing for good', async () => {
    class FlakyStartStorage extends MemoryStorage {
      starts = 0;

      override async init(): Promise<void> {
        this.starts++;
        if (this.starts === 1) throw new StorageError('the database is starting up', { retryable: true });
        return super.init();
      }
    }
    const storage = new FlakyStartStorage();
    const client = new Spool({ storage });
    try {
      await expect(client.enqueue('any.job', {}, BY_NAME)).rejects.toMatchObject({ code: 'ERR_STORAGE' });
      const id = await client.enqueue('any.job', {}, BY_NAME);
      expect((await client.getJob(id))?.state).toBe('enqueued');
      expect(storage.starts).toBe(2);
    } finally {
      await client.close();
    }
  });
});

describe('perform', () => {
  it('reports the storage errors that did not stop the run, such as log lines it could not write', async () => {
    class LogRefusingStorage extends MemoryStorage {
      override async jobLogsAppend(): Promise<void> {
        throw new StorageError('the log table is full', { retryable: false });
      }
    }
    const chatty = defineJob('chatty', (_args: null, ctx) => {
      ctx.log.info('hello');
      return 'done';
    });
    const client = new Spool({ storage: new LogRefusingStorage(), jobs: [chatty] });
    try {
      const id = await client.enqueue(chatty, null);
      const result = await client.perform(id);
      expect(result.state).toBe('succeeded');
      expect(result.errors).toEqual([expect.objectContaining({ message: 'the log table is full' })]);
    } finally {
      await client.close();
    }
  });
});
