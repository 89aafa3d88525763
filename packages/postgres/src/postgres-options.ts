import type { Pool } from 'pg';

import { ConfigError } from '@spool/core';
import { resolveOptions } from '@spool/core/storage-kit';

/** Options of a {@link PostgresStorage}. Give `connectionString` or `pool`. */
export interface PostgresStorageOptions {
  /** A PostgreSQL URL (`postgres://user@host:5432/db`). The storage opens and closes its own pool. */
  connectionString?: string;
  /** A node-postgres pool the application owns (the storage never ends it). */
  pool?: Pool;
  /** The schema that holds Spool's tables. Default 'spool'. */
  schema?: string;
  /** Apply pending migrations in init(). Default true; false makes init() fail on an old schema. */
  migrate?: boolean;
  /** Connections in the pool the storage opens. Default 10. */
  poolSize?: number;
  /** Give up connecting after this long (ms or duration string), so calls fail fast during an outage. Default '5s'. */
  connectTimeout?: number | string;
  /**
   * How long `init()` (and so a first enqueue) waits while another process holds the schema's
   * migration lock, before failing with a retryable `StorageError` that names the holder. Default '30s'.
   */
  migrationLockTimeout?: number | string;
  /**
   * @internal Writes every state change through the general statement, never through the ones fixed
   * in advance for the hot paths (batches of successes, redrives of plain jobs): the conformance suite compares the two.
   */
  generalWritesOnly?: boolean;
}

/** PostgreSQL storage options after defaults, durations in milliseconds. */
export interface ResolvedPostgresStorageOptions {
  connectionString?: string;
  pool?: Pool;
  schema: string;
  migrate: boolean;
  poolSize: number;
  connectTimeout: number;
  migrationLockTimeout: number;
  generalWritesOnly: boolean;
}

/** Validates PostgreSQL storage options and applies defaults. */
export function resolvePostgresOptions(options: PostgresStorageOptions): ResolvedPostgresStorageOptions {
  const resolved = resolveOptions<ResolvedPostgresStorageOptions>(
    {
      connectionString: { kind: 'string', optional: true, pattern: /^postgres(ql)?:\/\//, patternHint: 'a postgres:// URL' },
      pool: { kind: 'any', optional: true, check: (v) => (typeof (v as { connect?: unknown }).connect === 'function' ? null : 'expected a pg Pool') },
      schema: { kind: 'string', default: 'spool', pattern: /^[a-z_][a-z0-9_]{0,62}$/, patternHint: 'a lower-case SQL identifier' },
      migrate: { kind: 'boolean', default: true },
      poolSize: { kind: 'integer', default: 10, min: 1 },
      connectTimeout: { kind: 'duration', default: 5000 },
      migrationLockTimeout: { kind: 'duration', default: 30_000 },
      generalWritesOnly: { kind: 'boolean', default: false },
    },
    options,
    'PostgreSQL storage options',
  );
  if ((resolved.connectionString === undefined) === (resolved.pool === undefined)) {
    throw new ConfigError([{ path: 'PostgreSQL storage options', message: 'give exactly one of `connectionString` or `pool`' }]);
  }
  if (resolved.connectionString !== undefined && !URL.canParse(resolved.connectionString)) {
    // Checked here, where the message can leave the URL out: the parser's own error carries it whole,
    // password included, and would travel on as the cause of a storage error.
    throw new ConfigError([
      { path: 'PostgreSQL storage options.connectionString', message: 'expected a URL such as postgres://user:password@host:5432/db, got a malformed one (not shown: it may hold a password)' },
    ]);
  }
  return resolved;
}
