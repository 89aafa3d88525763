import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import type { Clock, Storage } from '@spool/core';
import { ConfigError, MemoryStorage, UnsupportedStorageError } from '@spool/core';
import { SqliteStorage } from '@spool/sqlite';

/** Test-only hooks handed to the storage a URL opens. */
export interface StorageUrlRuntime {
  clock?: Clock;
}

/** Options for {@link resolveStorage} that are not part of the URL. */
export interface ResolveStorageOptions {
  /**
   * Whether the storage applies pending migrations when it opens. Default true. `spool migrate`
   * turns it off to apply them itself and report what it applied.
   */
  migrate?: boolean;
}

/** One storage URL scheme: what it looks like and how it opens a storage. */
interface StorageScheme {
  /** The scheme with its colon, e.g. `sqlite:`. */
  scheme: string;
  /** What a URL of this scheme looks like, for messages and help. */
  example: string;
  /** Opens the storage; `rest` is the URL after the scheme. */
  open(rest: string, url: string, runtime: StorageUrlRuntime, options: ResolveStorageOptions): Storage;
}

/** A scheme that is part of Spool's plan but has no storage package yet. */
interface PlannedScheme {
  scheme: string;
  /** The package that will provide it. */
  packageName: string;
}

/** Storages that open from a URL. Adding one is one entry here. */
const SCHEMES: readonly StorageScheme[] = [
  { scheme: 'memory:', example: 'memory:', open: (rest, url, runtime) => openMemory(rest, url, runtime) },
  { scheme: 'sqlite:', example: 'sqlite:./data/spool.db', open: openSqlite },
];

/** Schemes announced in the design but not available yet: they get a clear error, not "unknown". */
const PLANNED: readonly PlannedScheme[] = [
  { scheme: 'postgres:', packageName: '@spool/postgres' },
  { scheme: 'postgresql:', packageName: '@spool/postgres' },
  { scheme: 'redis:', packageName: '@spool/redis' },
  { scheme: 'rediss:', packageName: '@spool/redis' },
];

/** The storage URL schemes this package can open, e.g. `['memory:', 'sqlite:']`. */
export const SUPPORTED_STORAGE_SCHEMES: readonly string[] = SCHEMES.map((s) => s.scheme);

/** One example URL per supported scheme, for help texts. */
export const STORAGE_URL_EXAMPLES: readonly string[] = SCHEMES.map((s) => s.example);

/**
 * A storage URL whose scheme is planned (PostgreSQL, Redis) but whose storage is not available yet.
 * Its `code` is `ERR_UNSUPPORTED_STORAGE`, like any other unsupported URL.
 */
export class PlannedStorageError extends UnsupportedStorageError {
  constructor(
    url: string,
    readonly scheme: string,
    readonly packageName: string,
  ) {
    super(url, SUPPORTED_STORAGE_SCHEMES);
    this.message =
      `The storage URL "${redactStorageUrl(url)}" needs ${packageName}, which is planned but not available yet. ` +
      `Use one of the supported storages for now: ${STORAGE_URL_EXAMPLES.join(', ')}.`;
  }
}

/**
 * Opens the storage a URL names (not connected yet: `init()` does that).
 *
 * - `memory:`: a {@link MemoryStorage}; nothing survives the process.
 * - `sqlite:path`, `sqlite:./relative/path`, `sqlite:///absolute/path`, `sqlite::memory:`: a
 *   SqliteStorage on that file (relative to the current directory; its folder is created).
 *
 * Throws UnsupportedStorageError (code `ERR_UNSUPPORTED_STORAGE`) for any other scheme, and
 * ConfigError for a malformed URL.
 */
export function resolveStorage(url: string, runtime: StorageUrlRuntime = {}, options: ResolveStorageOptions = {}): Storage {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new ConfigError([{ path: 'storage', message: `expected a storage URL such as ${STORAGE_URL_EXAMPLES.join(' or ')}, got ${JSON.stringify(url)}` }]);
  }
  const trimmed = url.trim();
  const lower = trimmed.toLowerCase();
  const scheme = SCHEMES.find((s) => lower.startsWith(s.scheme));
  if (scheme) return scheme.open(trimmed.slice(scheme.scheme.length), trimmed, runtime, options);
  const planned = PLANNED.find((p) => lower.startsWith(p.scheme));
  if (planned) throw new PlannedStorageError(trimmed, planned.scheme, planned.packageName);
  const error = new UnsupportedStorageError(redactStorageUrl(trimmed), SUPPORTED_STORAGE_SCHEMES);
  if (!/^[a-z][a-z0-9+.-]*:/i.test(trimmed) || /\.(db|sqlite3?)$/i.test(trimmed)) {
    error.message += ` A file path needs the sqlite: scheme, e.g. sqlite:${trimmed}.`;
  }
  throw error;
}

function openMemory(rest: string, url: string, runtime: StorageUrlRuntime): Storage {
  if (rest !== '' && rest !== '//') {
    throw new ConfigError([{ path: 'storage', message: `expected exactly "memory:", got ${JSON.stringify(url)}` }]);
  }
  return new MemoryStorage({ clock: runtime.clock });
}

function openSqlite(rest: string, url: string, runtime: StorageUrlRuntime, options: ResolveStorageOptions): Storage {
  const path = sqlitePath(rest);
  if (path === '') {
    throw new ConfigError([
      { path: 'storage', message: `expected a file after "sqlite:" (e.g. sqlite:./data/spool.db, or sqlite::memory:), got ${JSON.stringify(url)}` },
    ]);
  }
  if (path !== ':memory:') {
    // SQLite creates the file but not its folder; a default such as ./data/spool.db should just work.
    mkdirSync(dirname(resolve(path)), { recursive: true });
  }
  return new SqliteStorage({ path, migrate: options.migrate ?? true }, { clock: runtime.clock });
}

/** The file path of `sqlite:` URLs: `sqlite:x.db`, `sqlite:./x.db`, `sqlite:///abs/x.db`, `sqlite::memory:`. */
function sqlitePath(rest: string): string {
  return rest.startsWith('//') ? rest.slice(2) : rest;
}

/**
 * The file a storage URL keeps its data in (`sqlite:` URLs other than `sqlite::memory:`), resolved
 * against the current directory; null for storages without a local file.
 */
export function storageFilePath(url: string): string | null {
  const trimmed = url.trim();
  if (!trimmed.toLowerCase().startsWith('sqlite:')) return null;
  const path = sqlitePath(trimmed.slice('sqlite:'.length));
  return path === '' || path === ':memory:' ? null : resolve(path);
}

/** A storage URL with its password hidden, for messages and logs. */
export function redactStorageUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@/]*@/, '$1***@');
}
