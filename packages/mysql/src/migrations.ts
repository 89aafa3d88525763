import { JOB_STATES, STATE_FACTS } from '@spool/core';

/** What a migration's SQL is written for: the table prefix and the server's exact-match collation. */
export interface MigrationTarget {
  /** Prefix of every table name, e.g. `spool_` (already checked to be a plain identifier). */
  prefix: string;
  /** The binary, no-pad collation of utf8mb4 on this server (see {@link exactCollation}). */
  collation: string;
}

/** One schema change: applied once and recorded in `<prefix>migrations`. */
export interface Migration {
  version: number;
  name: string;
  /** The statements, in order (MySQL runs one statement per call). */
  statements: (target: MigrationTarget) => string[];
}

/**
 * The collation every text column is compared in: exact bytes, trailing spaces significant. The
 * default `utf8mb4_bin` pads with spaces ('a' = 'a '), which would let two queues or unique keys
 * that differ only by trailing spaces be one. MariaDB and MySQL 8 name the no-pad binary collation
 * differently.
 */
export function exactCollation(serverVersion: string): string {
  return /mariadb/i.test(serverVersion) ? 'utf8mb4_nopad_bin' : 'utf8mb4_0900_bin';
}

/** The states in which a job holds its unique key, as an SQL list: `('scheduled', 'enqueued', ...)`. */
export const ACTIVE_STATES_SQL = `(${JOB_STATES.filter((state) => STATE_FACTS[state].active)
  .map((state) => `'${state}'`)
  .join(', ')})`;

const table = (t: MigrationTarget, name: string, body: string): string =>
  `CREATE TABLE IF NOT EXISTS \`${t.prefix}${name}\` (\n${body}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${t.collation}`;

/**
 * Every schema change, oldest first. Never edit a released migration: add a new one.
 *
 * Design notes for version 1 (docs/mysql.md explains them at length):
 * - Dates are BIGINT milliseconds since the epoch (the storage clock's unit); JSON payloads are
 *   LONGTEXT, written and read as the application serialised them. Not the JSON type: MySQL 8
 *   stores JSON in a binary form and gives back its own serialisation, and arguments must come back
 *   exactly as they were written.
 * - MySQL has no partial index, so the hot indexes start with the state: the claim reads
 *   (state, queue, priority DESC, enqueue_seq) and sees enqueued jobs only, whatever else the table
 *   holds.
 * - At most one active job holds a unique key: `unique_hold` is a generated column, the SHA-256 of
 *   the key while the job is in an active state and NULL otherwise, under a unique index (which
 *   allows any number of NULLs). The hash makes a key of any length fit an index and compares bytes
 *   exactly (docs/decisions/0017-mysql-unique-keys-and-wake-ups.md).
 * - Each (recurring id, occurrence) holds at most one job: a unique index, NULL for other jobs.
 * - The queue position comes from `enqueue_seq`, an AUTO_INCREMENT table used as a sequence: a
 *   writer inserts rows to draw numbers and deletes them in the same transaction, so the table stays
 *   empty, and no writer waits for another's commit (a counter row would serialise every enqueue).
 * - History is an append-only table; a job's creation entry is kept in its row (one row per
 *   enqueue, not two).
 * - Counts per state, per queue and per hour are maintained in `counters` in the writing
 *   transaction, spread over shards (a writer picks one at random) so that concurrent servers
 *   rarely wait on the same counter row. The read model sums the shards; it never counts jobs.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    statements: (t) => [
      table(
        t,
        'jobs',
        `  id VARCHAR(255) NOT NULL PRIMARY KEY,
  state VARCHAR(16) NOT NULL,
  queue VARCHAR(255) NOT NULL,
  name VARCHAR(255) NOT NULL,
  priority INT NOT NULL,
  -- Position in the queue, drawn from enqueue_seq each time the job is (re)enqueued.
  enqueue_seq BIGINT NOT NULL DEFAULT 0,
  attempt INT NOT NULL DEFAULT 0,
  max_attempts INT NOT NULL,
  rescues INT NOT NULL DEFAULT 0,
  lease_token VARCHAR(64) NULL,
  lease_expires_at BIGINT NULL,
  server_id VARCHAR(255) NULL,
  run_at BIGINT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  started_at BIGINT NULL,
  finished_at BIGINT NULL,
  expires_at BIGINT NULL,
  timeout_ms BIGINT NULL,
  retention_ms BIGINT NULL,
  unique_key TEXT NULL,
  unique_hold BINARY(32) AS (CASE WHEN unique_key IS NOT NULL AND state IN ${ACTIVE_STATES_SQL} THEN UNHEX(SHA2(unique_key, 256)) END) STORED,
  parent_id VARCHAR(255) NULL,
  continue_on VARCHAR(16) NULL,
  recurring_id VARCHAR(255) NULL,
  occurrence_at BIGINT NULL,
  progress DOUBLE NULL,
  -- The creation entry of the job's history (at created_at), kept in the row.
  created_state VARCHAR(16) NOT NULL,
  created_reason LONGTEXT NOT NULL,
  backoff LONGTEXT NULL,
  error LONGTEXT NULL,
  result LONGTEXT NULL,
  parameters LONGTEXT NOT NULL,
  args LONGTEXT NOT NULL,
  -- The claim: runnable jobs of a queue, higher priority first, then first (re)enqueued.
  KEY jobs_runnable (state, queue, priority DESC, enqueue_seq),
  -- The delayed scheduler (scheduled jobs by due time) and the watchdog (processing jobs by lease end).
  KEY jobs_due (state, run_at),
  KEY jobs_leases (state, lease_expires_at),
  -- Dashboard lists by state, newest first (InnoDB appends the primary key to every index).
  KEY jobs_state (state),
  -- Expiration: finished jobs by expiry time (NULL for the others).
  KEY jobs_expiry (expires_at),
  -- Continuations found by their parent.
  KEY jobs_parent (parent_id),
  UNIQUE KEY jobs_unique_hold (unique_hold),
  UNIQUE KEY jobs_occurrence (recurring_id, occurrence_at)`,
      ),
      table(t, 'enqueue_seq', '  seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY'),
      table(
        t,
        'history',
        `  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  job_id VARCHAR(255) NOT NULL,
  state VARCHAR(16) NOT NULL,
  reason LONGTEXT NOT NULL,
  data LONGTEXT NULL,
  at BIGINT NOT NULL,
  server_id VARCHAR(255) NULL,
  KEY history_job (job_id, id)`,
      ),
      table(
        t,
        'logs',
        `  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  job_id VARCHAR(255) NOT NULL,
  attempt INT NOT NULL,
  level VARCHAR(16) NOT NULL,
  message LONGTEXT NOT NULL,
  at BIGINT NOT NULL,
  KEY logs_job (job_id, id)`,
      ),
      // Maintained counts: 'state:<state>', 'queue:<name>' (enqueued jobs), 'succeeded:<hour ms>' and
      // 'failed:<hour ms>'. A writer adds to one shard; readers sum them.
      table(
        t,
        'counters',
        `  \`key\` VARCHAR(300) NOT NULL,
  shard SMALLINT NOT NULL,
  value BIGINT NOT NULL,
  PRIMARY KEY (\`key\`, shard)`,
      ),
      table(t, 'paused_queues', '  name VARCHAR(255) NOT NULL PRIMARY KEY'),
      table(
        t,
        'recurring',
        `  id VARCHAR(255) NOT NULL PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  cron VARCHAR(255) NOT NULL,
  timezone VARCHAR(255) NOT NULL,
  queue VARCHAR(255) NOT NULL,
  priority INT NOT NULL,
  max_attempts INT NOT NULL,
  timeout_ms BIGINT NULL,
  retention_ms BIGINT NULL,
  misfire VARCHAR(32) NOT NULL,
  paused TINYINT NOT NULL,
  next_run_at BIGINT NULL,
  last_run_at BIGINT NULL,
  last_job_id VARCHAR(255) NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  runs INT NOT NULL DEFAULT 0,
  settings LONGTEXT NULL,
  args LONGTEXT NOT NULL,
  KEY recurring_due (paused, next_run_at)`,
      ),
      table(
        t,
        'servers',
        `  id VARCHAR(255) NOT NULL PRIMARY KEY,
  hostname VARCHAR(255) NOT NULL,
  pid INT NOT NULL,
  queues LONGTEXT NOT NULL,
  concurrency INT NOT NULL,
  job_names LONGTEXT NOT NULL,
  running INT NOT NULL,
  started_at BIGINT NOT NULL,
  heartbeat_at BIGINT NOT NULL`,
      ),
    ],
  },
  {
    version: 2,
    name: 'recurring job history',
    // What the scheduler did with each occurrence (fired, queued, skipped by the overlap policy,
    // missed) and the operators' triggers and backfills, written in the firing's transaction under
    // the record's row lock, so `seq` orders one recurring job's entries as they were committed.
    // Each recurring job keeps its latest entries (RECURRING_HISTORY_LIMIT): the firing trims the
    // older ones through the index, which also serves the newest-first read. A new table, no rewrite.
    statements: (t) => [
      table(
        t,
        'recurring_history',
        `  seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  recurring_id VARCHAR(255) NOT NULL,
  at BIGINT NOT NULL,
  event VARCHAR(32) NOT NULL,
  occurrence_at BIGINT NULL,
  from_at BIGINT NULL,
  job_id VARCHAR(255) NULL,
  reason LONGTEXT NOT NULL,
  KEY recurring_history_by_id (recurring_id, seq)`,
      ),
    ],
  },
  {
    version: 3,
    name: 'flow control: limits and their gates',
    // Limits per scope (`queue:<name>` or `job:<name>`), one row each, both layers as JSON text
    // (core's stored form). A gate is one counted share of a limit (a scope's, or one key's in it,
    // `<scope>#<key>`): how many of its jobs run, and the starts of its current rate window. Its id
    // fits an index: a 255-character name and a 200-character key in 700 characters of utf8mb4 are
    // 2,800 bytes, under InnoDB's 3,072. A job records the gates it took when it started
    // (`held_gates`, a JSON array, NULL when it took none); every claim writes the column, so it is
    // never cleared. Adding a NULL column at the end is instant on MariaDB 10.3+ and MySQL 8.0.12+.
    statements: (t) => [
      table(
        t,
        'limits',
        `  scope VARCHAR(300) NOT NULL PRIMARY KEY,
  code LONGTEXT NULL,
  operator LONGTEXT NULL,
  set_by TEXT NULL,
  set_at BIGINT NULL`,
      ),
      table(
        t,
        'gates',
        `  gate VARCHAR(700) NOT NULL PRIMARY KEY,
  running INT NOT NULL DEFAULT 0,
  window_start BIGINT NOT NULL DEFAULT 0,
  window_count INT NOT NULL DEFAULT 0`,
      ),
      `ALTER TABLE \`${t.prefix}jobs\` ADD COLUMN held_gates LONGTEXT NULL`,
    ],
  },
  {
    version: 4,

    name: "the latest attempt's history entries in the job's row",
    // A job that runs once and succeeds (nearly every job) has three entries: created, started,
    // succeeded. The first is in the row since migration 1; this keeps the other two there as well
    // (history-tail.ts), so the claim and the batch of successes append no history row: two
    // inserts and two history_job index entries per job fewer. Adding columns at the end with a
    // constant default is instant on MariaDB 10.3+ and MySQL 8.0.12+.
    statements: (t) => [
      `ALTER TABLE \`${t.prefix}jobs\` ADD COLUMN tail TINYINT NOT NULL DEFAULT 0, ADD COLUMN tail_reason LONGTEXT NULL, ADD COLUMN tail_server VARCHAR(255) NULL`,
    ],
  },
  {
    version: 5,
    name: 'flow control: the enqueued jobs by key',
    // A claim reads jobs of names whose limits go per key key by key (decision 34): the keys of a
    // name's waiting jobs by a loose scan of this index, the first jobs of each key with room, and the
    // name's jobs without a key (limit_key NULL) apart, so that it never passes over a full key's
    // backlog row by row. The key is the job parameter spool.limitKey as bytes (exact, free of the
    // collation JSON functions give their result); a virtual column costs no storage, and parameters
    // that are not valid JSON (damaged by hand) give NULL instead of making the row unwritable.
    // 2,900 bytes of index key at most (two utf8mb4 VARCHAR(255), 800 bytes of key), under InnoDB's 3,072.
    statements: (t) => [
      `ALTER TABLE \`${t.prefix}jobs\`
  ADD COLUMN limit_key VARBINARY(800) AS (IF(JSON_VALID(parameters), CAST(JSON_UNQUOTE(JSON_EXTRACT(parameters, '$."spool.limitKey"')) AS BINARY), NULL)) VIRTUAL,
  ADD KEY jobs_keyed (state, queue, name, limit_key, priority DESC, enqueue_seq)`,
    ],
  },
  {
    version: 6,
    name: 'flow control: paused gates',
    // A gate's pause (decision 31): until when no job of it starts, set when a job of it threw
    // rateLimited(delay); 0: not paused. A column with a constant default at the end is instant on
    // MariaDB 10.3+ and MySQL 8.0.12+.
    statements: (t) => [`ALTER TABLE \`${t.prefix}gates\` ADD COLUMN paused_until BIGINT NOT NULL DEFAULT 0`],
  },
  {
    version: 7,
    name: 'job metrics: counts per period, job name, queue, series and bin',
    // Servers add their counts (outcomes, and the bins of the wait and run time histograms) with an
    // upsert that adds, so the counts of several servers add up. The key leads with the period and
    // its start: a read of a window and the removal of old periods are ranges of the key. It fits
    // InnoDB's 3,072 bytes: two 255-character utf8mb4 names are 2,040 bytes. A new table.
    statements: (t) => [
      table(
        t,
        'metrics',
        `  period VARCHAR(8) NOT NULL,
  at BIGINT NOT NULL,
  name VARCHAR(255) NOT NULL,
  queue VARCHAR(255) NOT NULL,
  series VARCHAR(16) NOT NULL,
  bin INT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (period, at, name, queue, series, bin)`,
      ),
    ],
  },
  {
    version: 8,
    name: 'the audit log of operator actions',
    // One row per action, numbered in order; each append removes the rows older than the latest
    // kept, a range of the primary key. A new table.
    statements: (t) => [
      table(
        t,
        'audit',
        `  seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at BIGINT NOT NULL,
  actor LONGTEXT NOT NULL,
  action VARCHAR(64) NOT NULL,
  subject VARCHAR(16) NOT NULL,
  targets LONGTEXT NOT NULL,
  count INT NOT NULL,
  outcome VARCHAR(16) NOT NULL,
  message LONGTEXT NOT NULL`,
      ),
    ],
  },
  {
    version: 10,
    name: 'dead letters: the mark and the error name they are grouped by',
    // A dead letter is a failed job with a mark (decision 42): when it was dead-lettered and the
    // name of the error it died of, NULL for every other job. MySQL and MariaDB have no partial
    // index, so a virtual column stands in for one: `dead_letter_id` is the id of a dead letter and
    // NULL for every other job, and its index lists the dead letters newest first without reading
    // (or sorting) the other jobs; NULLs sort first and a range skips them. The groups index leads
    // with the job name and holds the mark, so counting dead letters reads the index alone. 2,048
    // bytes of key at most, under InnoDB's 3,072.
    statements: (t) => [
      `ALTER TABLE \`${t.prefix}jobs\`
  ADD COLUMN dead_lettered_at BIGINT NULL,
  ADD COLUMN dead_letter_error VARCHAR(255) NULL,
  ADD COLUMN dead_letter_id VARCHAR(255) AS (IF(dead_lettered_at IS NULL, NULL, id)) VIRTUAL,
  ADD KEY jobs_dead_letters (dead_letter_id),
  ADD KEY jobs_dead_letter_groups (name, dead_letter_error, dead_lettered_at)`,
    ],
  },
  {
    version: 12,
    name: 'batches and flows',
    // Decision 46. A job's row says whether its changes settle anything (flow: 1 a batch member,
    // 2 a parent of other jobs), so that every other job's write skips the settling and the batch of
    // successes stays one statement (it leaves flow jobs to the general write); a waiting job counts
    // the dependencies it still waits for. Columns with constant defaults at the end are instant on
    // MariaDB 10.3+ and MySQL 8.0.12+; the batch index holds NULL for jobs of no batch.
    statements: (t) => [
      `ALTER TABLE \`${t.prefix}jobs\`
  ADD COLUMN flow SMALLINT NOT NULL DEFAULT 0,
  ADD COLUMN batch_id VARCHAR(255) NULL,
  ADD COLUMN pending_parents INT NOT NULL DEFAULT 0,
  ADD KEY jobs_batch (batch_id, id)`,
      table(
        t,
        'batches',
        `  id VARCHAR(255) NOT NULL PRIMARY KEY,
  description LONGTEXT NULL,
  parent_batch_id VARCHAR(255) NULL,
  total INT NOT NULL DEFAULT 0,
  finished INT NOT NULL DEFAULT 0,
  succeeded INT NOT NULL DEFAULT 0,
  failed INT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  finished_at BIGINT NULL,
  cancelled_at BIGINT NULL,
  KEY batches_nested (parent_batch_id)`,
      ),
      table(
        t,
        'dependencies',
        `  parent_id VARCHAR(255) NOT NULL,
  child_id VARCHAR(255) NOT NULL,
  parent_kind VARCHAR(8) NOT NULL,
  policy VARCHAR(8) NOT NULL,
  PRIMARY KEY (parent_id, child_id)`,
      ),
    ],
  },
];
