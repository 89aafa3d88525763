import { ConfigError } from '@spool/core';
import { resolveOptions } from '@spool/core/storage-kit';

/** Options of a {@link MySqlStorage}. */
export interface MySqlStorageOptions {
  /**
   * A MySQL or MariaDB URL: `mysql://user:password@host:3306/app` (or `mariadb://`). The storage
   * opens and closes its own pool.
   */
  url: string;
  /**
   * Prefix of every table Spool creates, so that Spool lives beside the application's own tables in
   * the same database. Default 'spool_'.
   */
  prefix?: string;
  /** Apply pending migrations in init(). Default true; false makes init() fail on an old schema. */
  migrate?: boolean;
  /** Connections in the pool. Default 10. */
  poolSize?: number;
  /** Give up connecting after this long (ms or duration string), so calls fail fast during an outage. Default '5s'. */
  connectTimeout?: number | string;
  /**
   * How long `init()` waits while another process holds the migration lock of this prefix, before
   * failing with a retryable `StorageError`. Default '30s'.
   */
  migrationLockTimeout?: number | string;
  /**
   * How often a storage with subscribers looks for jobs that other processes enqueued, so servers
   * wake up without waiting for their own poll. Default '250ms'; see docs/mysql.md.
   */
  watchInterval?: number | string;
  /**
   * @internal Writes every state change through the general statement, never through the one fixed
   * in advance for batches of successes and redrives of plain jobs: the conformance suite compares the two.
   */
  generalWritesOnly?: boolean;
}

/** MySQL storage options after defaults, durations in milliseconds. */
export interface ResolvedMySqlStorageOptions {
  url: string;
  prefix: string;
  migrate: boolean;
  poolSize: number;
  connectTimeout: number;
  migrationLockTimeout: number;
  watchInterval: number;
  generalWritesOnly: boolean;
}

/** Validates MySQL storage options and applies defaults. */
export function resolveMySqlOptions(options: MySqlStorageOptions): ResolvedMySqlStorageOptions {
  const resolved = resolveOptions<ResolvedMySqlStorageOptions>(
    {
      url: { kind: 'string', pattern: /^(mysql|mariadb):\/\//i, patternHint: 'a mysql:// or mariadb:// URL' },
      // Letters, digits and underscores only: the prefix is spliced into every statement.
      prefix: { kind: 'string', default: 'spool_', pattern: /^[A-Za-z_][A-Za-z0-9_]{0,40}$/, patternHint: 'letters, digits and underscores, at most 41' },
      migrate: { kind: 'boolean', default: true },
      poolSize: { kind: 'integer', default: 10, min: 1 },
      connectTimeout: { kind: 'duration', default: 5000 },
      migrationLockTimeout: { kind: 'duration', default: 30_000 },
      watchInterval: { kind: 'duration', default: 250, min: 10 },
      generalWritesOnly: { kind: 'boolean', default: false },
    },
    options,
    'MySQL storage options',
  );
  if (!URL.canParse(resolved.url)) {
    // Checked here, where the message can leave the URL out: the parser's own error carries it whole,
    // password included.
    throw new ConfigError([
      { path: 'MySQL storage options.url', message: 'expected a URL such as mysql://user:password@host:3306/app, got a malformed one (not shown: it may hold a password)' },
    ]);
  }
  const database = new URL(resolved.url).pathname.replace(/^\//, '');
  if (database === '') {
    throw new ConfigError([{ path: 'MySQL storage options.url', message: 'expected the database after the host (mysql://user@host:3306/app), got none' }]);
  }
  return resolved;
}
