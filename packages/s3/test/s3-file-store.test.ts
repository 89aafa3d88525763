import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Json } from '@spool/core';
import { ManualClock, MemoryStorage, PAYLOAD_SWEEP_GRACE_MS, Spool, defineJob, payloadReference, sweepPayloads } from '@spool/core';
import { S3FileStore, redactS3Url, s3FileStoreFromUrl, s3OptionsFromUrl } from '@spool/s3';

import type { TestS3Server } from './s3-server.js';
import { startS3Server } from './s3-server.js';

let s3: TestS3Server;
let store: S3FileStore;
const local = mkdtempSync(join(tmpdir(), 'spool-s3-test-'));

beforeAll(async () => {
  s3 = await startS3Server(['spool-test']);
  store = new S3FileStore({ bucket: 'spool-test', prefix: 'app/', endpoint: s3.endpoint, credentials: s3.credentials });
});

afterAll(async () => {
  await store?.close();
  await s3?.stop();
  rmSync(local, { recursive: true, force: true });
});

describe('the S3 file store, against an S3 protocol server', () => {
  it('writes, reads, describes and removes objects by key below its prefix', async () => {
    expect(await store.put('docs/a.txt', Buffer.from('hello'), { contentType: 'text/plain' })).toMatchObject({ key: 'docs/a.txt', bytes: 5 });
    expect((await store.get('docs/a.txt'))!.toString()).toBe('hello');
    expect(await store.head('docs/a.txt')).toMatchObject({ key: 'docs/a.txt', bytes: 5 });
    const opened = await store.open('docs/a.txt');
    expect(opened!.bytes).toBe(5);
    expect(await text(opened!.stream)).toBe('hello');
    // The prefix is where the objects are: another store on the same bucket without it sees the full key.
    const whole = new S3FileStore({ bucket: 'spool-test', endpoint: s3.endpoint, credentials: s3.credentials });
    expect((await whole.head('app/docs/a.txt'))!.bytes).toBe(5);
    await whole.close();

    await store.delete(['docs/a.txt', 'docs/never-there.txt']);
    expect(await store.get('docs/a.txt')).toBeNull();
    expect(await store.head('docs/a.txt')).toBeNull();
    expect(await store.open('docs/a.txt')).toBeNull();
  });

  it('uploads a local file by streaming it', async () => {
    const source = join(local, 'big.bin');
    writeFileSync(source, Buffer.alloc(3 * 1024 * 1024, 9));
    expect(await store.putFile('big/file.bin', source, { contentType: 'application/pdf' })).toMatchObject({ bytes: 3 * 1024 * 1024 });
    expect((await store.get('big/file.bin'))!.equals(Buffer.alloc(3 * 1024 * 1024, 9))).toBe(true);
  });

  it('lists keys under a prefix in key order, in pages that go on after a key', async () => {
    for (const key of ['p/b/2', 'p/a/1', 'p/d/e/f', 'p/a/3', 'q/x', 'p/c']) await store.put(key, Buffer.from(key));
    const all: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const { files, more } = await store.list({ prefix: 'p/', after, limit: 2 });
      all.push(...files.map((f) => f.key));
      if (!more) break;
      after = files.at(-1)!.key;
    }
    expect(all).toEqual(['p/a/1', 'p/a/3', 'p/b/2', 'p/c', 'p/d/e/f']);
  });

  it('says what went wrong, typed, when the bucket does not exist', async () => {
    const missing = new S3FileStore({ bucket: 'no-such-bucket', endpoint: s3.endpoint, credentials: s3.credentials });
    await expect(missing.put('a', Buffer.from('x'))).rejects.toMatchObject({ code: 'ERR_FILE_STORE', retryable: false, message: expect.stringContaining('NoSuchBucket') });
    await missing.close();
  });

  it('says the store is unreachable, retryable, when nothing answers', async () => {
    const unreachable = new S3FileStore({ bucket: 'spool-test', endpoint: 'http://127.0.0.1:9', credentials: s3.credentials });
    await expect(unreachable.get('a')).rejects.toMatchObject({ code: 'ERR_FILE_STORE', retryable: true });
    await unreachable.close();
  });

  it('refuses keys that could leave its prefix', async () => {
    await expect(store.put('../x', Buffer.from('x'))).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    expect(() => new S3FileStore({ bucket: 'B', prefix: 'no-slash' })).toThrow(/bucket[\s\S]*prefix/);
  });
});

describe('s3:// URLs', () => {
  it('read the bucket, prefix, endpoint, region and credentials', () => {
    expect(s3OptionsFromUrl('s3://exports/spool/files?endpoint=http://127.0.0.1:9000&region=eu-west-1&forcePathStyle=true')).toEqual({
      bucket: 'exports',
      prefix: 'spool/files/',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
    });
    expect(s3OptionsFromUrl('s3://AKIA:s%2Fcret@exports')).toEqual({ bucket: 'exports', prefix: '', credentials: { accessKeyId: 'AKIA', secretAccessKey: 's/cret' } });
    expect(redactS3Url('s3://AKIA:secret@exports/p')).toBe('s3://***@exports/p');
    expect(() => s3OptionsFromUrl('s3://exports?endpiont=x')).toThrow(/endpiont[\s\S]*known: endpoint/);
  });

  it('make a store that works', async () => {
    const fromUrl = s3FileStoreFromUrl(`s3://${s3.credentials.accessKeyId}:${s3.credentials.secretAccessKey}@spool-test/url/?endpoint=${s3.endpoint}`);
    await fromUrl.put('k', Buffer.from('v'));
    expect((await fromUrl.get('k'))!.toString()).toBe('v');
    expect(fromUrl.description).not.toContain(s3.credentials.secretAccessKey);
    await fromUrl.close();
  });
});

describe('large payloads by reference in S3', () => {
  it('are stored, read back by a handler and getJob, and swept with their job', async () => {
    const clock = new ManualClock(Date.parse('2030-01-01T00:00:00Z'));
    const storage = new MemoryStorage({ clock });
    const files = new S3FileStore({ bucket: 'spool-test', prefix: 'payload-test/', endpoint: s3.endpoint, credentials: s3.credentials });
    const seen: Json[] = [];
    const job = defineJob('s3.echo', async (args: { rows: number[] }) => {
      seen.push(args);
      return { total: args.rows.reduce((a, b) => a + b, 0), rows: args.rows };
    });
    const spool = new Spool({ storage, files, jobs: [job], payloads: { offloadAboveBytes: 1000 } }, { clock });
    const rows = Array.from({ length: 2000 }, (_, i) => i);
    const id = await spool.enqueue(job, { rows });
    expect(payloadReference((await storage.jobGet({ id }))!.args)).not.toBeNull();

    expect((await spool.perform(id)).state).toBe('succeeded');
    expect(seen).toEqual([{ rows }]);
    const view = await spool.getJob(id);
    expect(view!.result).toEqual({ total: (1999 * 2000) / 2, rows });
    expect(view!.payloads!.result!.key).toMatch(new RegExp(`^payloads/${id}/result-`));
    expect((await files.list({ prefix: 'payloads/', limit: 10 })).files).toHaveLength(2);

    await spool.expire(id, 0);
    clock.advance(PAYLOAD_SWEEP_GRACE_MS + 1);
    await storage.jobsExpire({ limit: 10 });
    expect((await sweepPayloads({ files, storage, after: null, limit: 100, now: clock.now() })).removed).toBe(2);
    expect((await files.list({ prefix: 'payloads/', limit: 10 })).files).toEqual([]);
    await spool.close();
  });
});
