import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorRecord, FetchedJob } from '@spool/core';
import { ConfigError, InvalidArgsError, ManualClock, MemoryStorage, Spool, decideRedrive, decideStateChange, defineJob, unrecoverable } from '@spool/core';
import { electFailure } from '@spool/core/storage-kit';

const NOW = Date.UTC(2030, 0, 1, 12);
const ERROR: ErrorRecord = { name: 'HttpError', message: 'status 503' };

const routed = defineJob('payments.charge', async (args: { card: string }) => {
  if (args.card === 'expired') throw new TypeError('card expired');
  return 'charged';
}, { attempts: 2, onExhausted: 'dead-letter' });
const plain = defineJob('payments.refund', async () => {
  throw new Error('refund refused');
}, { attempts: 1 });

let spool: Spool | undefined;
let clock: ManualClock;

function make(jobs = [routed, plain]): Spool {
  clock = new ManualClock(NOW);
  spool = new Spool({ storage: new MemoryStorage({ clock }), jobs }, { clock });
  return spool;
}

afterEach(async () => {
  await spool?.close();
  spool = undefined;
});

function fetched(attempt: number, maxAttempts: number): FetchedJob {
  return { attempt, maxAttempts, backoff: null } as FetchedJob;
}

describe('routing to the dead letters, decided once', () => {
  it('marks the failure whose cause says so with its time and error name', () => {
    const change = decideStateChange({ from: 'processing', to: 'failed', cause: { kind: 'failed', error: ERROR, deadLetter: true }, now: NOW, reason: '', data: null, serverId: null });
    expect(change.deadLetter).toEqual({ set: { at: NOW, errorName: 'HttpError' } });
  });

  it('clears the mark on every other move into or out of failed, and keeps it elsewhere', () => {
    const decide = (from: 'processing' | 'failed' | 'enqueued', to: 'failed' | 'enqueued' | 'deleted' | 'processing', cause: Parameters<typeof decideStateChange>[0]['cause']) =>
      decideStateChange({ from, to, cause, now: NOW, reason: '', data: null, serverId: null }).deadLetter;
    expect(decide('processing', 'failed', { kind: 'failed', error: ERROR })).toEqual({ set: null });
    expect(decide('failed', 'enqueued', { kind: 'operator', resetAttempts: true })).toEqual({ set: null });
    expect(decide('failed', 'deleted', { kind: 'operator', resetAttempts: false })).toEqual({ set: null });
    expect(decide('enqueued', 'processing', { kind: 'claim', leaseToken: 't', leaseExpiresAt: NOW })).toBe('keep');
  });

  it('routes an exhausted or unrecoverable failure only when the definition says dead-letter', () => {
    const random = () => 0;
    expect(electFailure(fetched(2, 2), new Error('x'), routed, NOW, random)).toMatchObject({ state: 'failed', deadLetter: true });
    expect(electFailure(fetched(1, 2), unrecoverable(new Error('x')), routed, NOW, random)).toMatchObject({ state: 'failed', deadLetter: true });
    expect(electFailure(fetched(1, 2), new Error('x'), routed, NOW, random)).toMatchObject({ state: 'scheduled' });
    expect(electFailure(fetched(1, 1), new Error('x'), plain, NOW, random)).not.toHaveProperty('deadLetter');
    // A job this process has no definition of fails plainly: only its definition can route it.
    expect(electFailure(fetched(1, 1), new Error('x'), null, NOW, random)).not.toHaveProperty('deadLetter');
  });

  it('refuses a redrive of a job that is not a dead letter', () => {
    expect(decideRedrive({ job: { state: 'failed', deadLetteredAt: null, args: {}, error: ERROR }, reason: 'r' })).toEqual({ ok: false, refused: 'not-dead', state: 'failed' });
    expect(decideRedrive({ job: { state: 'enqueued', deadLetteredAt: NOW, args: {}, error: ERROR }, reason: 'r' })).toMatchObject({ ok: false });
  });

  it('rejects an unknown onExhausted value with the values it takes', () => {
    expect(() => defineJob('x', async () => 1, { onExhausted: 'dead' as never })).toThrow(ConfigError);
    expect(() => defineJob('x', async () => 1, { onExhausted: 'dead' as never })).toThrow(/fail.*dead-letter/);
  });
});

describe('spool.deadLetters', () => {
  it('lists a job whose attempts ran out under a routing definition, and not a plain failure', async () => {
    make();
    const id = await spool!.enqueue(routed, { card: 'expired' });
    const other = await spool!.enqueue(plain, {});
    await spool!.perform(id);
    expect((await spool!.getJob(id))!.state).toBe('scheduled');
    clock.advance(3_600_000);
    await spool!.storage.scheduledPromoteDue({ limit: 10 });
    await spool!.perform(id);
    await spool!.perform(other);
    const job = (await spool!.getJob(id))!;
    expect(job.state).toBe('failed');
    expect(job.history.at(-1)!.reason).toMatch(/no attempts left\); moved to the dead letters$/);
    expect((await spool!.deadLetters.list()).jobs.map((j) => j.id)).toEqual([id]);
    expect(await spool!.deadLetters.groups()).toEqual([{ name: 'payments.charge', errorName: 'TypeError', count: 1, lastAt: new Date(clock.now()) }]);
  });

  it('routes a job enqueued by name in a process without the definition, by the definition that runs it', async () => {
    make();
    const web = new Spool({ storage: spool!.storage });
    const id = await web.enqueue('payments.charge', { card: 'expired' }, { queue: 'default', attempts: 1, timeout: null });
    await spool!.perform(id);
    expect((await spool!.deadLetters.list({ name: 'payments.charge' })).jobs.map((j) => j.id)).toEqual([id]);
  });

  it('checks edited arguments as enqueue does, and changes nothing when they are refused', async () => {
    make();
    const id = await spool!.enqueue(routed, { card: 'expired' }, { attempts: 1 });
    await spool!.perform(id);
    await expect(spool!.deadLetters.redrive({ id, args: { when: new Date() } })).rejects.toBeInstanceOf(InvalidArgsError);
    const job = (await spool!.getJob(id))!;
    expect(job).toMatchObject({ state: 'failed', args: { card: 'expired' } });
    expect(job.deadLetteredAt).not.toBeNull();
    expect(await spool!.deadLetters.redrive({ id, args: { card: 'valid' } })).toEqual({ redriven: 1, skipped: [] });
    expect((await spool!.perform(id)).state).toBe('succeeded');
  });

  it('redrives a selection larger than one batch, reporting what it skipped', async () => {
    make();
    const ids: string[] = [];
    for (let i = 0; i < 501; i++) ids.push(await spool!.enqueue(routed, { card: 'expired' }, { attempts: 1 }));
    for (const id of ids) await spool!.perform(id);
    const missing = '0190aaaa-0000-7000-8000-000000000000';
    expect(await spool!.deadLetters.redrive({ ids: [...ids, missing, ids[0]!] })).toEqual({ redriven: 501, skipped: [{ id: missing, state: null }] });
    expect((await spool!.stats()).states.enqueued).toBe(501);
  });

  it('takes in a filter redrive only the dead letters there were when it started', async () => {
    make();
    const id = await spool!.enqueue(routed, { card: 'expired' }, { attempts: 1 });
    await spool!.perform(id);
    clock.advance(1_000);
    expect(await spool!.deadLetters.redrive({ filter: { to: new Date(clock.now() - 2_000) } })).toEqual({ redriven: 0, skipped: [] });
    expect(await spool!.deadLetters.redrive({ filter: { name: 'payments.charge' } })).toEqual({ redriven: 1, skipped: [] });
  });

  it('rejects a list limit out of range', async () => {
    make();
    await expect(spool!.deadLetters.list({ limit: 0 })).rejects.toBeInstanceOf(ConfigError);
  });
});
