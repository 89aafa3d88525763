import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync, lutimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { DAY_MS, cleanupExports, isInProgress } from '../src/cleanup-exports.js';
import { cleanupFolders } from '../src/cleanup-folders.js';

const NOW = Date.UTC(2030, 2, 12, 2, 0);
let root: string;
let exports: string;
let outside: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'nightly-cleanup-'));
  exports = join(root, 'exports');
  outside = join(root, 'elsewhere');
  mkdirSync(exports);
  mkdirSync(outside);
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Writes a file last modified `days` days before NOW. */
function file(path: string, days: number, content = 'x'.repeat(100)): string {
  writeFileSync(path, content);
  const at = new Date(NOW - days * DAY_MS);
  utimesSync(path, at, at);
  return path;
}

function logger() {
  const lines: string[] = [];
  return { lines, log: { info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`) } };
}

describe('cleaning the exports folder', () => {
  it('deletes finished exports older than the limit and keeps newer ones and those still being written', async () => {
    file(join(exports, 'report-a.pdf'), 30);
    file(join(exports, 'report-b.csv'), 8);
    file(join(exports, 'report-c.pdf'), 6);
    file(join(exports, 'report-d.pdf'), 0);
    file(join(exports, 'report-e.pdf.tmp'), 30);
    file(join(exports, '.report-f.pdf'), 30);
    const { lines, log } = logger();
    const progress: number[] = [];

    const result = await cleanupExports({ dir: exports, maxAgeDays: 7, now: NOW, log, progress: async (p) => void progress.push(p) });

    expect(result).toMatchObject({ scanned: 6, deleted: 2, kept: 2, inProgress: 2, skipped: 0, failed: 0, freedBytes: 200 });
    expect(result.deletedFiles).toEqual(['report-a.pdf', 'report-b.csv']);
    expect(result.cutoff).toBe(new Date(NOW - 7 * DAY_MS).toISOString());
    for (const name of ['report-a.pdf', 'report-b.csv']) expect(existsSync(join(exports, name))).toBe(false);
    for (const name of ['report-c.pdf', 'report-d.pdf', 'report-e.pdf.tmp', '.report-f.pdf']) expect(existsSync(join(exports, name))).toBe(true);
    expect(lines.filter((l) => l.startsWith('info deleted report-'))).toHaveLength(2);
    expect(lines.at(-1)).toContain('deleted 2 file(s)');
    expect(progress.at(-1)).toBe(100);
  });

  it('never follows a symbolic link, never enters a subfolder, and leaves both alone', async () => {
    const target = file(join(outside, 'precious.pdf'), 30);
    const link = join(exports, 'link-to-precious.pdf');
    symlinkSync(target, link);
    const old = new Date(NOW - 30 * DAY_MS);
    lutimesSync(link, old, old);
    const linkedFolder = join(exports, 'linked-folder');
    symlinkSync(outside, linkedFolder);
    mkdirSync(join(exports, 'nested'));
    const nested = file(join(exports, 'nested', 'old.pdf'), 30);
    const { log } = logger();

    const result = await cleanupExports({ dir: exports, maxAgeDays: 7, now: NOW, log });

    expect(result).toMatchObject({ scanned: 3, deleted: 0, skipped: 3 });
    for (const path of [target, link, linkedFolder, nested]) expect(existsSync(path)).toBe(true);
  });

  it('treats a missing folder as nothing to clean', async () => {
    const { lines, log } = logger();
    const result = await cleanupExports({ dir: join(root, 'not-yet'), maxAgeDays: 7, now: NOW, log });
    expect(result).toMatchObject({ scanned: 0, deleted: 0 });
    expect(lines.join('\n')).toContain('does not exist');
  });

  it('stops between two files when its signal aborts', async () => {
    for (let i = 0; i < 5; i += 1) file(join(exports, `old-${i}.pdf`), 30);
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    await expect(cleanupExports({ dir: exports, maxAgeDays: 7, now: NOW, log: logger().log, signal: controller.signal })).rejects.toThrow('shutting down');
  });

  it('cleans several folders in one run: old files deleted in each, new ones kept, the counts summed and per folder', async () => {
    const uploads = join(root, 'uploads');
    mkdirSync(uploads);
    file(join(exports, 'old-export.pdf'), 30);
    file(join(exports, 'new-export.pdf'), 1);
    file(join(uploads, 'old-upload.md'), 10, 'y'.repeat(50));
    file(join(uploads, 'new-upload.md'), 2);
    file(join(uploads, 'half-written.md.tmp'), 10);
    const { lines, log } = logger();
    const progress: number[] = [];

    const result = await cleanupFolders({ folders: [exports, uploads], maxAgeDays: 7, now: NOW, log, progress: async (p) => void progress.push(p) });

    expect(result).toMatchObject({ scanned: 5, deleted: 2, kept: 2, inProgress: 1, skipped: 0, failed: 0, freedBytes: 150 });
    expect(result.deletedFiles).toEqual(['old-export.pdf', 'old-upload.md']);
    expect(result.folders.map((f) => [f.folder, f.deleted, f.kept, f.deletedFiles])).toEqual([
      [realpathSync(exports), 1, 1, ['old-export.pdf']],
      [realpathSync(uploads), 1, 1, ['old-upload.md']],
    ]);
    expect(existsSync(join(exports, 'old-export.pdf'))).toBe(false);
    expect(existsSync(join(uploads, 'old-upload.md'))).toBe(false);
    for (const path of [join(exports, 'new-export.pdf'), join(uploads, 'new-upload.md'), join(uploads, 'half-written.md.tmp')]) expect(existsSync(path)).toBe(true);
    // Each deletion is logged with its folder; progress rises over both folders to 100.
    expect(lines.some((line) => line.startsWith(`info deleted old-upload.md in ${realpathSync(uploads)} (`))).toBe(true);
    expect(lines.at(-1)).toContain('2 folders: deleted 2 file(s) (150 bytes)');
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress).toContain(50);
    expect(progress.at(-1)).toBe(100);
  });

  it('refuses an empty list of folders', async () => {
    await expect(cleanupFolders({ folders: [], maxAgeDays: 7, now: NOW, log: logger().log })).rejects.toThrow(/folders/);
  });

  it('recognises names of exports still being written', () => {
    for (const name of ['a.tmp', 'a.pdf.TMP', '.a.pdf', '.hidden']) expect(isInProgress(name)).toBe(true);
    for (const name of ['a.pdf', 'tmp.pdf', 'a.tmp.pdf']) expect(isInProgress(name)).toBe(false);
  });
});
