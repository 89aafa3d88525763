import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packages = fileURLToPath(new URL('../../', import.meta.url));

/**
 * An application folder outside the repository whose node_modules holds the built `spool` package
 * (copied, so that modules resolve from the copy) and what it depends on, but none of the optional
 * storage packages: what `npm i spool` gives a SQLite user.
 */
function sqliteOnlyApp(): string {
  const app = mkdtempSync(join(tmpdir(), 'spool-sqlite-only-'));
  copyPackage('spool', join(app, 'node_modules', 'spool'));
  mkdirSync(join(app, 'node_modules', '@spool'), { recursive: true });
  for (const name of ['core', 'sqlite', 'dashboard']) {
    symlinkSync(join(packages, name), join(app, 'node_modules', '@spool', name), 'dir');
  }
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  return app;
}

function copyPackage(folder: string, target: string): void {
  mkdirSync(target, { recursive: true });
  cpSync(join(packages, folder, 'package.json'), join(target, 'package.json'));
  cpSync(join(packages, folder, 'dist'), join(target, 'dist'), { recursive: true });
}

/** Runs a module in the app folder with plain node; returns what it printed as JSON. */
async function inApp(app: string, source: string): Promise<unknown> {
  const file = join(app, `probe-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, source);
  const { stdout } = await run(process.execPath, [file], { cwd: app });
  return JSON.parse(stdout);
}

const PROBE = (url: string) => `
import { resolveStorage, Spool } from 'spool';
const out = {};
try { resolveStorage(${JSON.stringify(url)}); out.opened = true; }
catch (error) { out.code = error.code; out.packageName = error.packageName; out.message = error.message; }
const spool = new Spool({ storage: 'sqlite::memory:' });
out.sqlite = spool.storage.kind;
await spool.close();
console.log(JSON.stringify(out));
`;

describe('optional storage drivers', () => {
  let app: string;
  beforeAll(() => {
    app = sqliteOnlyApp();
  });
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  it('imports spool and runs SQLite without @spool/postgres, @spool/redis or @spool/mysql installed', async () => {
    expect(await inApp(app, PROBE('sqlite::memory:'))).toEqual({ opened: true, sqlite: 'sqlite' });
  });

  it('names @spool/postgres when a postgres:// URL is used without it', async () => {
    const out = await inApp(app, PROBE('postgres://app:secret@127.0.0.1:5432/test'));
    expect(out).toMatchObject({ code: 'ERR_STORAGE_DRIVER_MISSING', packageName: '@spool/postgres', sqlite: 'sqlite' });
    expect((out as { message: string }).message).toContain('npm install @spool/postgres');
    expect((out as { message: string }).message).not.toContain('secret');
  });

  it('names @spool/redis when a redis:// URL is used without it', async () => {
    const out = await inApp(app, PROBE('rediss://127.0.0.1:6380'));
    expect(out).toMatchObject({ code: 'ERR_STORAGE_DRIVER_MISSING', packageName: '@spool/redis' });
    expect((out as { message: string }).message).toContain('rediss://');
  });

  it('names @spool/mysql when a mysql:// or mariadb:// URL is used without it', async () => {
    const out = await inApp(app, PROBE('mysql://app:secret@127.0.0.1:3306/app?prefix=spool_'));
    expect(out).toMatchObject({ code: 'ERR_STORAGE_DRIVER_MISSING', packageName: '@spool/mysql', sqlite: 'sqlite' });
    expect((out as { message: string }).message).toContain('npm install @spool/mysql');
    expect((out as { message: string }).message).not.toContain('secret');
    expect(await inApp(app, PROBE('mariadb://127.0.0.1:3306/app'))).toMatchObject({ code: 'ERR_STORAGE_DRIVER_MISSING', packageName: '@spool/mysql' });
  });

  it.each([
    ['pg', 'postgres', 'postgresql://127.0.0.1:5432/test'],
    ['mysql2', 'mysql', 'mariadb://127.0.0.1:3306/test'],
  ])('names %s when @spool/%s is there but its client is not', async (client, storage, url) => {
    const withoutClient = mkdtempSync(join(tmpdir(), `spool-without-${client}-`));
    try {
      cpSync(app, withoutClient, { recursive: true, verbatimSymlinks: true });
      copyPackage(storage, join(withoutClient, 'node_modules', '@spool', storage));
      const out = await inApp(withoutClient, PROBE(url));
      expect(out).toMatchObject({ code: 'ERR_STORAGE_DRIVER_MISSING', packageName: client });
    } finally {
      rmSync(withoutClient, { recursive: true, force: true });
    }
  });
});
