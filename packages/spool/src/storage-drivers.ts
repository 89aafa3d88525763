import { createRequire } from 'node:module';

import { FileStoreDriverMissingError, StorageDriverMissingError } from '@spool/core';
// Types only: erased from the output, so loading this module loads none of these packages.
import type * as MySqlPackage from '@spool/mysql';
import type * as PostgresPackage from '@spool/postgres';
import type * as RedisPackage from '@spool/redis';
import type * as S3Package from '@spool/s3';

/** The exports of `@spool/mysql`, loaded when a `mysql://` or `mariadb://` URL is used. */
export type MySqlDriver = typeof MySqlPackage;
/** The exports of `@spool/postgres`, loaded when a `postgres://` URL is used. */
export type PostgresDriver = typeof PostgresPackage;
/** The exports of `@spool/redis`, loaded when a `redis://` URL is used. */
export type RedisDriver = typeof RedisPackage;

/** The exports of `@spool/s3`, loaded when an `s3://` file store URL is used. */
export type S3Driver = typeof S3Package;

/** The storage and file store packages that `spool` loads on demand, each an optional peer dependency. */
export type OptionalStoragePackage = '@spool/mysql' | '@spool/postgres' | '@spool/redis' | '@spool/s3';

// Resolved from this file, as an `import` in it would be: an application's own node_modules.
// `require` of an ES module is synchronous on every Node.js release Spool supports (20.19 and
// later), which keeps `new Spool({ storage: url })` synchronous while a SQLite user never loads
// (or installs) pg, ioredis or mysql2.
const requireFromHere = createRequire(import.meta.url);

/** Loads `@spool/mysql`; throws StorageDriverMissingError naming what to install when it is absent. */
export function loadMySqlDriver(scheme: string): MySqlDriver {
  return loadOptional<MySqlDriver>('@spool/mysql', scheme);
}

/** Loads `@spool/postgres`; throws StorageDriverMissingError naming what to install when it is absent. */
export function loadPostgresDriver(scheme: string): PostgresDriver {
  return loadOptional<PostgresDriver>('@spool/postgres', scheme);
}

/** Loads `@spool/redis`; throws StorageDriverMissingError naming what to install when it is absent. */
export function loadRedisDriver(scheme: string): RedisDriver {
  return loadOptional<RedisDriver>('@spool/redis', scheme);
}

/** Loads `@spool/s3`; throws FileStoreDriverMissingError naming what to install when it is absent. */
export function loadS3Driver(scheme: string): S3Driver {
  return loadOptional<S3Driver>('@spool/s3', scheme, (missing, error) => new FileStoreDriverMissingError(scheme, missing, { cause: error }));
}

function loadOptional<T>(
  packageName: OptionalStoragePackage,
  scheme: string,
  missingError: (missing: string, cause: unknown) => Error = (missing, cause) => new StorageDriverMissingError(scheme, missing, { cause }),
): T {
  try {
    return requireFromHere(packageName) as T;
  } catch (error) {
    const missing = missingPackage(error);
    // The package itself, or the client it depends on (`pg`, `ioredis`, `mysql2`, `@aws-sdk/client-s3`)
    // when an install left it out: name the one that is missing. Any other failure is not ours to rename.
    if (missing !== null && /^[@a-z0-9]/i.test(missing)) throw missingError(missing, error);
    throw error;
  }
}

/** The package a module-resolution error could not find, or null for any other error. */
function missingPackage(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  const code = (error as { code?: unknown }).code;
  if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') return null;
  // Node's messages: "Cannot find module 'x'" (require) and "Cannot find package 'x' imported from" (import).
  const match = /Cannot find (?:module|package) '([^']+)'/.exec(error.message);
  if (!match?.[1]) return null;
  return packageOf(match[1]);
}

/** `@scope/name/sub/path` -> `@scope/name`; `name/sub` -> `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}
