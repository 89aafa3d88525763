import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { Json } from '@spool/core';
import { FolderFileStore, ManualClock, MemoryStorage, PAYLOAD_SWEEP_GRACE_MS, Spool, defineJob, payloadReference, sweepPayloads } from '@spool/core';

const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(options: { offloadAboveBytes?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'spool-payloads-'));
  folders.push(dir);
  const clock = new ManualClock(Date.parse('2030-01-01T00:00:00Z'));
  const storage = new MemoryStorage({ clock });
  const files = new FolderFileStore(dir);
  const seen: Json[] = [];
  const echo = defineJob('payload.echo', async (args: { text: string; size?: number }) => {
    seen.push(args);
    return { echoed: args.text, padding: 'y'.repeat(args.size ?? 0) };
  });
  const spool = new Spool({ storage, files, jobs: [echo], payloads: { offloadAboveBytes: options.offloadAboveBytes ?? 1024 } }, { clock });
  return { dir, clock, storage, files, spool, echo, seen };
}

function payloadFiles(dir: string): string[] {
  const root = join(dir, 'payloads');
  try {
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
      .sort();
  } catch {
    return [];
  }
}

describe('large payloads by reference', () => {
  it('keeps small arguments and results inline', async () => {
    const { spool, storage, echo, dir } = setup();
    const id = await spool.enqueue(echo, { text: 'short' });
    expect((await storage.jobGet({ id }))!.args).toEqual({ text: 'short' });
    await spool.perform(id);
    expect((await storage.jobGet({ id }))!.result).toEqual({ echoed: 'short', padding: '' });
    expect(payloadFiles(dir)).toEqual([]);
    expect((await spool.getJob(id))!.payloads).toBeUndefined();
  });

  it('stores large arguments and results in the file store, and handlers and getJob see them inline', async () => {
    const { spool, storage, echo, seen, dir } = setup();
    const text = 'x'.repeat(5000);
    const id = await spool.enqueue(echo, { text, size: 3000 });

    const stored = await storage.jobGet({ id });
    const reference = payloadReference(stored!.args);
    expect(reference).not.toBeNull();
    expect(JSON.stringify(stored!.args).length).toBeLessThan(300);

    const { state } = await spool.perform(id);
    expect(state).toBe('succeeded');
    expect(seen).toEqual([{ text, size: 3000 }]);
    expect(payloadReference((await storage.jobGet({ id }))!.result)).not.toBeNull();
    expect(payloadFiles(dir)).toHaveLength(2);

    const view = await spool.getJob(id);
    expect(view!.args).toEqual({ text, size: 3000 });
    expect(view!.result).toEqual({ echoed: text, padding: 'y'.repeat(3000) });
    expect(view!.payloads!.args).toMatchObject({ key: `payloads/${id}/${reference!.file}`, bytes: reference!.bytes, error: null });
    expect(view!.payloads!.result!.bytes).toBeGreaterThan(8000);

    const unresolved = await spool.getJob(id, { resolvePayloads: false });
    expect(payloadReference(unresolved!.args)).toEqual(reference);
  });

  it('gives a continuation its parent’s large result as a value', async () => {
    const { spool, storage, echo } = setup();
    let parentResult: Json = null;
    const child = defineJob('payload.child', async (_args: object, ctx) => {
      parentResult = (await ctx.parent())!.result;
    });
    spool.define(child);
    const parent = await spool.enqueue(echo, { text: 'p', size: 4000 });
    const next = await spool.continueWith(parent, child, {});
    await spool.perform(parent);
    await storage.jobSetState({ id: next, expected: ['awaiting', 'enqueued'], state: 'enqueued', reason: 'test', resetAttempts: false });
    await spool.perform(next);
    expect(parentResult).toEqual({ echoed: 'p', padding: 'y'.repeat(4000) });
  });

  it('fails a job whose arguments file is gone with ERR_PAYLOAD_MISSING, at once and without losing the job', async () => {
    const { spool, echo, dir } = setup();
    const id = await spool.enqueue(echo, { text: 'z'.repeat(4000) });
    rmSync(join(dir, 'payloads'), { recursive: true, force: true });

    const { state, job } = await spool.perform(id);
    expect(state).toBe('failed');
    expect(job!.attempt).toBe(1);
    expect(job!.error).toMatchObject({ code: 'ERR_PAYLOAD_MISSING' });
    expect(job!.error!.message).toContain(`payloads/${id}/`);
    // The job is still there, with its reference and a summary that says why it cannot be read.
    const view = await spool.getJob(id);
    expect(view!.state).toBe('failed');
    expect(view!.payloads!.args!.error).toMatchObject({ code: 'ERR_PAYLOAD_MISSING' });
    expect(payloadReference(view!.args)).not.toBeNull();
  });

  it('fails a job whose arguments file was changed with ERR_PAYLOAD_CORRUPT', async () => {
    const { spool, echo, dir, storage } = setup();
    const id = await spool.enqueue(echo, { text: 'q'.repeat(4000) });
    const reference = payloadReference((await storage.jobGet({ id }))!.args)!;
    writeFileSync(join(dir, 'payloads', id, reference.file), JSON.stringify({ text: 'w'.repeat(4000) }));
    const { state, job } = await spool.perform(id);
    expect(state).toBe('failed');
    expect(job!.error).toMatchObject({ code: 'ERR_PAYLOAD_CORRUPT' });
  });

  it('refuses arguments shaped like a reference, and arguments over payloads.maxBytes', async () => {
    const { spool, echo } = setup();
    await expect(spool.enqueue('payload.echo', { '$spool:payload': { v: 1 } })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGS' });
    const small = new Spool({ storage: new MemoryStorage(), files: new FolderFileStore(folders[0]!), jobs: [echo], payloads: { offloadAboveBytes: 10, maxBytes: 100 } });
    await expect(small.enqueue(echo, { text: 'a'.repeat(200) })).rejects.toMatchObject({ code: 'ERR_ARGS_TOO_LARGE' });
  });

  it('refuses a threshold above maxArgsBytes and unknown payload options, naming them', () => {
    const files = new FolderFileStore(tmpdir());
    expect(() => new Spool({ storage: new MemoryStorage(), files, maxArgsBytes: 1000, payloads: { offloadAboveBytes: 2000 } })).toThrow(/offloadAboveBytes/);
    expect(() => new Spool({ storage: new MemoryStorage(), files, payloads: { offloadAboveByte: 10 } as never })).toThrow(/did you mean "offloadAboveBytes"/);
    expect(() => new Spool({ storage: new MemoryStorage(), files: {} as never })).toThrow(/expected a file store/);
  });

  it('fails a by-reference job on a Spool without a file store with ERR_FILE_STORE_MISSING, and retries it', async () => {
    const { spool, echo, storage, clock } = setup();
    const id = await spool.enqueue(echo, { text: 'r'.repeat(4000) });
    const bare = new Spool({ storage, jobs: [echo] }, { clock });
    const { state, job } = await bare.perform(id);
    expect(state).toBe('scheduled');
    expect(job!.error).toMatchObject({ code: 'ERR_FILE_STORE_MISSING' });
  });

  it('removes the files of a job that has expired, and only once it is past the grace period', async () => {
    const { spool, echo, storage, files, clock, dir } = setup();
    const kept = await spool.enqueue(echo, { text: 'k'.repeat(4000) });
    const expiring = await spool.enqueue(echo, { text: 'e'.repeat(4000) });
    await spool.perform(expiring);
    expect(payloadFiles(dir).filter((f) => f.startsWith(expiring))).toHaveLength(2);

    await spool.expire(expiring, 0);
    clock.advance(1);
    expect((await storage.jobsExpire({ limit: 10 })).deleted).toBe(1);
    // Younger than the grace period: a job may still be on its way to storage.
    const early = await sweepPayloads({ files, storage, after: null, limit: 100, now: clock.now() });
    expect(early.removed).toBe(0);

    clock.advance(PAYLOAD_SWEEP_GRACE_MS + 1);
    const swept = await sweepPayloads({ files, storage, after: null, limit: 100, now: clock.now() });
    expect(swept).toMatchObject({ removed: 2, cursor: null });
    expect(payloadFiles(dir).map((f) => f.split('/')[0])).toEqual([kept]);
    expect((await spool.getJob(kept))!.args).toEqual({ text: 'k'.repeat(4000) });
  });

  it('sweeps in steps that go on after the last key seen', async () => {
    const { spool, echo, storage, files, clock } = setup();
    const ids = await spool.enqueueMany(echo, [1, 2, 3, 4, 5].map((n) => ({ text: String(n).repeat(4000) })));
    for (const id of ids.slice(0, 3)) await storage.jobSetState({ id, expected: ['enqueued'], state: 'deleted', reason: 'test', resetAttempts: false });
    for (const id of ids.slice(0, 3)) await spool.expire(id, 0);
    clock.advance(PAYLOAD_SWEEP_GRACE_MS + 1);
    await storage.jobsExpire({ limit: 10 });
    let cursor: string | null = null;
    let removed = 0;
    let steps = 0;
    do {
      const step = await sweepPayloads({ files, storage, after: cursor, limit: 2, now: clock.now() });
      removed += step.removed;
      cursor = step.cursor;
      steps += 1;
    } while (cursor !== null && steps < 10);
    expect(removed).toBe(3);
    expect(steps).toBe(3);
    for (const id of ids.slice(3)) expect((await spool.getJob(id))!.payloads!.args!.error).toBeNull();
  });

  it('removes the file of a job a unique key answered with another job’s id', async () => {
    const { spool, echo, dir } = setup();
    const first = await spool.enqueue(echo, { text: 'u'.repeat(4000) }, { uniqueKey: 'one' });
    const second = await spool.enqueue(echo, { text: 'v'.repeat(4000) }, { uniqueKey: 'one' });
    expect(second).toBe(first);
    expect(payloadFiles(dir).map((f) => f.split('/')[0])).toEqual([first]);
  });

  it('removes the files of jobs a full bounded queue refused, and refuses a replace by reference', async () => {
    const { spool, echo, dir } = setup();
    await spool.limits.set({ queue: 'default' }, { maxSize: 1 });
    const first = await spool.enqueue(echo, { text: 'u'.repeat(4000) }, { uniqueKey: 'one' });
    await expect(spool.enqueue(echo, { text: 'v'.repeat(4000) })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' });
    await expect(spool.enqueue(echo, { text: 'w'.repeat(4000) }, { uniqueKey: 'one', onDuplicate: 'replace' })).rejects.toMatchObject({
      code: 'ERR_CONFIG',
      problems: [{ path: 'enqueue options.onDuplicate' }],
    });
    expect(payloadFiles(dir).map((f) => f.split('/')[0])).toEqual([first]);
    expect(((await spool.getJob(first))!.args as { text: string }).text).toBe('u'.repeat(4000));
  });
});
