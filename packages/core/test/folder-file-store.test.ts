import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { FolderFileStore } from '@spool/core';

const dir = mkdtempSync(join(tmpdir(), 'spool-folder-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the folder file store', () => {
  const store = new FolderFileStore(join(dir, 'files'));

  it('writes, reads, describes and removes files by key', async () => {
    const written = await store.put('docs/a.txt', Buffer.from('hello'));
    expect(written).toMatchObject({ key: 'docs/a.txt', bytes: 5 });
    expect((await store.get('docs/a.txt'))!.toString()).toBe('hello');
    expect(await store.head('docs/a.txt')).toMatchObject({ bytes: 5 });
    const opened = await store.open('docs/a.txt');
    expect(await text(opened!.stream)).toBe('hello');
    await store.delete(['docs/a.txt', 'docs/never-there.txt']);
    expect(await store.get('docs/a.txt')).toBeNull();
    expect(await store.head('docs/a.txt')).toBeNull();
    expect(await store.open('docs/a.txt')).toBeNull();
    // The folder a delete left empty is gone too; nothing is left in the temporary folder.
    expect(readdirSync(store.dir).filter((n) => n !== '.tmp')).toEqual([]);
    expect(readdirSync(join(store.dir, '.tmp'))).toEqual([]);
  });

  it('writes a local file by streaming it, replacing a file of the same key', async () => {
    const source = join(dir, 'source.bin');
    writeFileSync(source, Buffer.alloc(300_000, 7));
    await store.put('big/file.bin', Buffer.from('old'));
    expect(await store.putFile('big/file.bin', source)).toMatchObject({ bytes: 300_000 });
    expect((await store.get('big/file.bin'))!.equals(Buffer.alloc(300_000, 7))).toBe(true);
  });

  it('lists keys under a prefix in key order, in pages that go on after a key', async () => {
    for (const key of ['p/b/2', 'p/a/1', 'p/a-z', 'p/a/3', 'q/x', 'p/c']) await store.put(key, Buffer.from(key));
    const all: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const { files, more } = await store.list({ prefix: 'p/', after, limit: 2 });
      all.push(...files.map((f) => f.key));
      if (!more) break;
      after = files.at(-1)!.key;
    }
    expect(all).toEqual(['p/a-z', 'p/a/1', 'p/a/3', 'p/b/2', 'p/c']);
    expect((await store.list({ prefix: 'nothing/', limit: 5 })).files).toEqual([]);
  });

  it('refuses keys that could leave its folder or hide a file', async () => {
    for (const key of ['../x', 'a/../../x', '/abs', '.hidden', 'a//b', 'a/.tmp/x', '', 'a b']) {
      await expect(store.put(key, Buffer.from('x')), key).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    }
  });
});
