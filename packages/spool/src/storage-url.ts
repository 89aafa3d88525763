import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import type { Clock, Storage } from '@spool/core';
import { ConfigError, MemoryStorage, UnsupportedStorageError } from '@spool/core';
import { SqliteStorage } from '@spool/sqlite';

import { loadMySqlDriver, loadPostgresDriver, loadRedisDriver } from './storage-drivers.js';

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

/** Storages that open from a URL. Adding one is one entry here. */
const SCHEMES: readonly StorageScheme[] = [
  { scheme: 'memory:', example: 'memory:', open: (rest, url, runtime) => openMemory(rest, url, runtime) },
  { scheme: 'sqlite:', example: 'sqlite:./data/spool.db', open: openSqlite },
  { scheme: 'postgres:', example: 'postgres://user@127.0.0.1:5432/app?schema=spool', open: openPostgres },
  { scheme: 'postgresql:', example: 'postgresql://user@host/app', open: openPostgres },
  { scheme: 'redis:', example: 'redis://127.0.0.1:6379', open: (_rest, url, runtime) => openRedis('redis://', url, runtime) },
  { scheme: 'rediss:', example: 'rediss://host:6380', open: (_rest, url, runtime) => openRedis('rediss://', url, runtime) },
  { scheme: 'mysql:', example: 'mysql://user@127.0.0.1:3306/app?prefix=spool_', open: openMySql },
  { scheme: 'mariadb:', example: 'mariadb://user@host:3306/app', open: openMySql },
];

/** The storage URL schemes this package can open, e.g. `['memory:', 'sqlite:']`. */
export const SUPPORTED_STORAGE_SCHEMES: readonly string[] = SCHEMES.map((s) => s.scheme);

/** One example URL per supported scheme, for help texts. */
export const STORAGE_URL_EXAMPLES: readonly string[] = SCHEMES.map((s) => s.example);

/**
 * Opens the storage a URL names (not connected yet: `init()` does that).
 *
 * - `memory:`: a {@link MemoryStorage}; nothing survives the process.
 * - `sqlite:path`, `sqlite:./relative/path`, `sqlite:///absolute/path`, `sqlite::memory:`: a
 *   SqliteStorage on that file (relative to the current directory; its folder is created).
 * - `postgres://user@host:5432/db?schema=spool` (or `postgresql://`): a PostgresStorage; `schema`
 *   defaults to `spool`. Needs the package `@spool/postgres`, loaded only now.
 * - `redis://host:6379` (or `rediss://` for TLS): a RedisStorage. Needs `@spool/redis`, loaded only now.
 * - `mysql://user@host:3306/app?prefix=spool_` (or `mariadb://`): a MySqlStorage whose tables are
 *   named with the prefix (default `spool_`). Needs `@spool/mysql`, loaded only now.
 *
 * Throws UnsupportedStorageError (code `ERR_UNSUPPORTED_STORAGE`) for any other scheme,
 * StorageDriverMissingError (code `ERR_STORAGE_DRIVER_MISSING`, naming the package to install) when
 * the storage's package is not installed, and ConfigError for a malformed URL.
 */
export function resolveStorage(url: string, runtime: StorageUrlRuntime = {}, options: ResolveStorageOptions = {}): Storage {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new ConfigError([{ path: 'storage', message: `expected a storage URL such as ${STORAGE_URL_EXAMPLES.join(' or ')}, got ${JSON.stringify(url)}` }]);
  }
  const trimmed = url.trim();
  const lower = trimmed.toLowerCase();
  const scheme = SCHEMES.find((s) => lower.startsWith(s.scheme));
  if (scheme) return scheme.open(trimmed.slice(scheme.scheme.length), trimmed, runtime, options);
  const error = new UnsupportedStorageError(redactStorageUrl(trimmed), SUPPORTED_STORAGE_SCHEMES);
  if (!/^[a-z][a-z0-9+.-]*:/i.test(trimmed) || /\.(db|sqlite3?)$/i.test(trimmed)) {
    error.message += ` A file path needs the sqlite: scheme, e.g. sqlite:${trimmed}.`;
  }
  throw error;
}

function openRedis(scheme: string, url: string, runtime: StorageUrlRuntime): Storage {
  const { RedisStorage } = loadRedisDriver(scheme);
  return new RedisStorage({ url }, { clock: runtime.clock });
}

function openPostgres(_rest: string, url: string, runtime: StorageUrlRuntime, options: ResolveStorageOptions): Storage {
  const { parsed, value: schema } = takeSpoolParameter(url, 'schema', 'postgres://user:password@host:5432/db');
  const { PostgresStorage } = loadPostgresDriver(`${parsed.protocol}//`);
  // An option left undefined takes the storage's default.
  return new PostgresStorage({ connectionString: parsed.toString(), schema, migrate: options.migrate }, { clock: runtime.clock });
}

function openMySql(_rest: string, url: string, runtime: StorageUrlRuntime, options: ResolveStorageOptions): Storage {
  const { parsed, value: prefix } = takeSpoolParameter(url, 'prefix', 'mysql://user:password@host:3306/app');
  const { MySqlStorage } = loadMySqlDriver(`${parsed.protocol}//`);
  return new MySqlStorage({ url: parsed.toString(), prefix, migrate: options.migrate }, { clock: runtime.clock });
}

/**
 * Parses a database server's URL and takes Spool's own query parameter out of it (`?schema=` for
 * PostgreSQL, `?prefix=` for MySQL), so that it is not passed on to the driver.
 */
function takeSpoolParameter(url: string, name: string, example: string): { parsed: URL; value: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL parser's own error carries the whole input, password included: say what is wrong without it.
    throw new ConfigError([{ path: 'storage', message: `expected a URL such as ${example}, got a malformed one: ${redactStorageUrl(url)}` }]);
  }
  const value = parsed.searchParams.get(name) ?? undefined;
  parsed.searchParams.delete(name);
  return { parsed, value };
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
  // The password runs from the user's colon to the last '@' of the URL: a password may hold '@', '/'
  // or ':' itself, so hiding a little too much beats showing part of it.
  const start = url.indexOf('://');
  const at = url.lastIndexOf('@');
  if (start < 0 || at < start) return url;
  const colon = url.indexOf(':', start + 3);
  if (colon < 0 || colon > at) return url;
  return `${url.slice(0, colon + 1)}***${url.slice(at)}`;
}
