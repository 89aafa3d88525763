import { describe, expect, it } from 'vitest';

import { FolderFileStore, Spool, resolveFileStore } from 'spool';

describe('file store URLs', () => {
  it('open a local folder from file:', async () => {
    const store = resolveFileStore('file:./data/files-url-test');
    expect(store).toBeInstanceOf(FolderFileStore);
    expect(store.description).toBe('file:./data/files-url-test');
    expect(resolveFileStore('file:///var/spool/files')).toMatchObject({ dir: '/var/spool/files' });
  });

  it('load @spool/s3 for s3:// and keep credentials out of the description', () => {
    const store = resolveFileStore('s3://KEY:SECRET@exports/spool?endpoint=http://127.0.0.1:9000');
    expect(store.kind).toBe('s3');
    expect(store.description).toBe('s3://exports/spool/ at http://127.0.0.1:9000');
  });

  it('refuse what they cannot open, saying what they expected', () => {
    expect(() => resolveFileStore('ftp://x')).toThrow(/file:\.\/data\/files or s3:\/\/bucket/);
    expect(() => resolveFileStore('file:')).toThrow(/expected a folder after "file:"/);
  });

  it('are accepted by the Spool options', async () => {
    const spool = new Spool({ storage: 'memory:', files: 'file:./data/files-url-test' });
    expect(spool.files?.kind).toBe('folder');
    await spool.close();
  });
});
