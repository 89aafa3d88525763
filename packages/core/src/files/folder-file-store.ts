import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';

import { FileStoreError } from '../errors.js';
import type { FileInfo, FileListPage, FileStore, OpenedFile } from './file-store.js';
import { checkFileKey, checkFilePrefix } from './file-store.js';

/** The folder, inside the store's folder, where files are written before they are renamed into place. */
export const FOLDER_STORE_TEMP = '.tmp';

/**
 * A file store in a local folder: a key is a path below it. The default for one machine (and for
 * several processes on it). Every write goes to `<folder>/.tmp/` first, is flushed to disk and
 * renamed into place, so a reader never sees half a file (a rename within one file system is
 * atomic) and a crash leaves at most a temporary file, which the next `cleanTemp()` removes.
 *
 * ```ts
 * const files = new FolderFileStore('./data/files');
 * ```
 */
export class FolderFileStore implements FileStore {
  readonly kind = 'folder';
  readonly description: string;
  /** The folder, as an absolute path. */
  readonly dir: string;

  constructor(dir: string) {
    if (typeof dir !== 'string' || dir.trim() === '') throw new TypeError(`FolderFileStore: expected a folder path, got ${JSON.stringify(dir)}`);
    this.dir = resolve(dir);
    this.description = `file:${dir}`;
  }

  async put(key: string, data: Uint8Array): Promise<FileInfo> {
    return this.#write(key, async (temp) => {
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(data);
        // Flushed before the rename, so that a crash cannot leave a renamed but empty file.
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }

  async putFile(key: string, path: string): Promise<FileInfo> {
    return this.#write(key, async (temp) => {
      await pipeline(createReadStream(path), createWriteStream(temp, { flags: 'wx' }));
      const handle = await open(temp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }

  async get(key: string): Promise<Buffer | null> {
    return this.#absent(() => readFile(this.#path(key)));
  }

  async open(key: string): Promise<OpenedFile | null> {
    const path = this.#path(key);
    return this.#absent(async () => {
      // Opened before it is described: a file replaced in between is read whole, as it was when opened.
      const handle = await open(path, 'r');
      try {
        const info = await handle.stat();
        return { key, bytes: info.size, modifiedAt: info.mtime, stream: handle.createReadStream({ autoClose: true }) };
      } catch (error) {
        await handle.close();
        throw error;
      }
    });
  }

  async head(key: string): Promise<FileInfo | null> {
    return this.#absent(async () => {
      const info = await stat(this.#path(key));
      return info.isFile() ? { key, bytes: info.size, modifiedAt: info.mtime } : null;
    });
  }

  async delete(keys: readonly string[]): Promise<void> {
    try {
      for (const key of keys) {
        const path = this.#path(key);
        await rm(path, { force: true });
        await this.#removeEmptyParents(dirname(path));
      }
    } catch (error) {
      throw translate(error, 'delete files');
    }
  }

  async list(params: { prefix: string; after?: string; limit: number }): Promise<FileListPage> {
    const prefix = checkFilePrefix(params.prefix);
    const { after, limit } = params;
    const files: FileInfo[] = [];
    let more = false;
    // Entries are visited in key order: a folder sorts as its name followed by "/", so all its
    // keys come together where that string sorts. A folder whose keys all come before `after` is skipped.
    const visit = async (dirKey: string): Promise<boolean> => {
      let entries;
      try {
        entries = await readdir(dirKey === '' ? this.dir : join(this.dir, dirKey), { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
        throw translate(error, 'list files');
      }
      const named = entries
        .filter((e) => !e.name.startsWith('.') && (e.isDirectory() || e.isFile()))
        .map((e) => ({ key: `${dirKey}${e.name}${e.isDirectory() ? '/' : ''}`, dir: e.isDirectory() }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const entry of named) {
        if (entry.dir) {
          if (!prefix.startsWith(entry.key) && !entry.key.startsWith(prefix)) continue;
          if (after !== undefined && after >= entry.key && !after.startsWith(entry.key)) continue;
          if (!(await visit(entry.key))) return false;
          continue;
        }
        if (!entry.key.startsWith(prefix) || (after !== undefined && entry.key <= after)) continue;
        if (files.length === limit) {
          more = true;
          return false;
        }
        const info = await this.head(entry.key);
        if (info) files.push(info);
      }
      return true;
    };
    await visit('');
    return { files, more };
  }

  /** Removes temporary files older than `olderThanMs` (left by a process that died mid-write). */
  async cleanTemp(olderThanMs: number, now = Date.now()): Promise<number> {
    const dir = join(this.dir, FOLDER_STORE_TEMP);
    let removed = 0;
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const info = await stat(join(dir, name)).catch(() => null);
      if (info && now - info.mtimeMs > olderThanMs) {
        await rm(join(dir, name), { force: true });
        removed += 1;
      }
    }
    return removed;
  }

  async close(): Promise<void> {}

  /** Writes through a temporary file that `fill` creates, then renames it into place. */
  async #write(key: string, fill: (temp: string) => Promise<void>): Promise<FileInfo> {
    const target = this.#path(key);
    const temp = join(this.dir, FOLDER_STORE_TEMP, `${randomBytes(12).toString('hex')}.part`);
    try {
      await mkdir(dirname(temp), { recursive: true });
      await fill(temp);
      // A delete may remove the (then empty) target folder between the mkdir and the rename: make it again.
      for (let attempt = 1; ; attempt++) {
        await mkdir(dirname(target), { recursive: true });
        try {
          await rename(temp, target);
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 3) throw error;
        }
      }
      const info = await stat(target);
      return { key, bytes: info.size, modifiedAt: info.mtime };
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw translate(error, `write "${key}"`);
    }
  }

  #path(key: string): string {
    return join(this.dir, checkFileKey(key));
  }

  /** Runs a read; a missing file (or folder) is null. */
  async #absent<T>(read: () => Promise<T | null>): Promise<T | null> {
    try {
      return await read();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null;
      throw translate(error, 'read a file');
    }
  }

  /** Removes the folders a delete left empty, up to the store's folder, so that listings stay short. */
  async #removeEmptyParents(dir: string): Promise<void> {
    while (dir.startsWith(this.dir) && dir !== this.dir) {
      const names = await readdir(dir).catch(() => null);
      if (names === null || names.length > 0) return;
      // Fails harmlessly when a write has just put a file in it.
      if (!(await rmdir(dir).then(() => true, () => false))) return;
      dir = dirname(dir);
    }
  }
}

/** A file system error as a FileStoreError; running out of space or handles may pass, the rest will not. */
function translate(error: unknown, action: string): unknown {
  if (error instanceof FileStoreError) return error;
  if (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ERR_CONFIG') return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const retryable = code === 'ENOSPC' || code === 'EMFILE' || code === 'ENFILE' || code === 'EBUSY' || code === 'EAGAIN' || code === 'EIO';
  const message = error instanceof Error ? error.message : String(error);
  return new FileStoreError(`The folder file store could not ${action}: ${message}`, retryable, { cause: error });
}
