import { resolveOptions } from '@spool/core/storage-kit';

/** Options of a {@link SqliteStorage}. */
export interface SqliteStorageOptions {
  /** Database file path, or ':memory:'. */
  path: string;
  /** Wait this long for a lock held by another process before failing (ms or duration string). Default '5s'. */
  busyTimeout?: number | string;
  /** Apply pending migrations in init(). Default true. */
  migrate?: boolean;
  /**
   * @internal Writes every state change through the general statement, never through the ones fixed
   * in advance for the hot paths (successes): the conformance suite compares the two.
   */
  generalWritesOnly?: boolean;
}

/** SQLite storage options after defaults, durations in milliseconds. */
export interface ResolvedSqliteStorageOptions {
  path: string;
  busyTimeout: number;
  migrate: boolean;
  generalWritesOnly: boolean;
}

/** Validates SQLite storage options and applies defaults. */
export function resolveSqliteOptions(options: SqliteStorageOptions): ResolvedSqliteStorageOptions {
  return resolveOptions<ResolvedSqliteStorageOptions>(
    {
      path: { kind: 'string', pattern: /\S/, patternHint: "a file path or ':memory:'" },
      busyTimeout: { kind: 'duration', default: 5000 },
      migrate: { kind: 'boolean', default: true },
      generalWritesOnly: { kind: 'boolean', default: false },
    },
    options,
    'SQLite storage options',
  );
}
