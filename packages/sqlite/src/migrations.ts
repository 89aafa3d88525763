/** One schema change: applied once, in its own transaction, and recorded in `spool_migrations`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Every schema change, oldest first. Never edit a released migration: add a new one.
 *
 * Design notes for version 1 (the README explains them at length):
 * - Dates are integer milliseconds since the epoch; JSON is TEXT.
 * - `spool_jobs` keeps hot, small columns first and the JSON payloads last, so reading a job's state
 *   never walks the overflow pages of large arguments.
 * - The claim reads `spool_jobs_runnable`, a partial index over enqueued jobs only: finished jobs leave
 *   the hot index, so a fetch costs the same with 0 or 1,000,000 finished jobs in the table.
 * - Every index costs pages written on the hot path (a fetch and a completion commit a handful of
 *   pages each), so indexes are partial and few.
 * - History lives in its own append-only table, never touched by the claim's reads.
 * - Counts per state and per queue, and the enqueue sequence, are maintained in the writing
 *   transaction in one small table (one page written per transaction); the read model never counts
 *   rows of the jobs table.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE spool_jobs (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  queue TEXT NOT NULL,
  priority INTEGER NOT NULL,
  -- Position in the queue, taken from the shared sequence each time the job is (re)enqueued.
  enqueue_seq INTEGER NOT NULL DEFAULT 0,
  name TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  rescues INTEGER NOT NULL DEFAULT 0,
  lease_token TEXT,
  lease_expires_at INTEGER,
  server_id TEXT,
  run_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  expires_at INTEGER,
  timeout_ms INTEGER,
  retention_ms INTEGER,
  unique_key TEXT,
  parent_id TEXT,
  continue_on TEXT,
  recurring_id TEXT,
  progress REAL,
  -- The creation entry of the job's history (at created_at), kept in the row.
  created_state TEXT NOT NULL,
  created_reason TEXT NOT NULL,
  -- Ids of the job's later history entries in spool_history, comma-separated, oldest first.
  history_ids TEXT NOT NULL DEFAULT '',
  backoff TEXT,
  error TEXT,
  result TEXT,
  parameters TEXT NOT NULL,
  args TEXT NOT NULL
);

-- The claim: runnable jobs only, per queue, higher priority first, then FIFO by (re)enqueue order.
CREATE INDEX spool_jobs_runnable ON spool_jobs (queue, priority DESC, enqueue_seq) WHERE state = 'enqueued';
-- The delayed scheduler: due times of scheduled jobs only.
CREATE INDEX spool_jobs_scheduled ON spool_jobs (run_at) WHERE state = 'scheduled';
-- The watchdog's scan of expired leases, and the list of processing jobs: processing jobs only.
CREATE INDEX spool_jobs_leases ON spool_jobs (lease_expires_at) WHERE state = 'processing';
-- Expiration: only jobs that will be removed.
CREATE INDEX spool_jobs_expiry ON spool_jobs (expires_at) WHERE expires_at IS NOT NULL;
-- Dashboard lists of the rare states, newest first. The hot states stay out so the hot path writes
-- fewer index entries: enqueued jobs are listed through spool_jobs_runnable or the primary key,
-- processing ones through spool_jobs_leases, succeeded ones (the bulk) through the primary key.
-- (OR-ed equalities, not IN: an IN list would cost every state change two temporary tables.)
CREATE INDEX spool_jobs_state ON spool_jobs (state, id)
  WHERE state = 'scheduled' OR state = 'awaiting' OR state = 'failed' OR state = 'deleted';
-- Continuations waiting for a parent.
CREATE INDEX spool_jobs_awaiting ON spool_jobs (parent_id) WHERE state = 'awaiting';
-- Unique keys: looked up among active jobs at creation.
CREATE INDEX spool_jobs_unique ON spool_jobs (unique_key) WHERE unique_key IS NOT NULL;

-- Every state change after creation: an append-only log without a secondary index. A job finds its
-- entries through its own history_ids, so appending costs one row and no index entry.
CREATE TABLE spool_history (
  id INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL,
  data TEXT,
  at INTEGER NOT NULL,
  server_id TEXT
);

CREATE TABLE spool_logs (
  id INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  level TEXT NOT NULL,
  message TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX spool_logs_job ON spool_logs (job_id);

-- Maintained counts and sequences, one small table: 'state:<state>' (jobs per state), 'queue:<name>'
-- (enqueued jobs per queue) and 'enqueue_seq' (the back of every queue).
CREATE TABLE spool_counters (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO spool_counters (key, value) VALUES
  ('enqueue_seq', 0), ('state:scheduled', 0), ('state:enqueued', 0), ('state:awaiting', 0),
  ('state:processing', 0), ('state:succeeded', 0), ('state:failed', 0), ('state:deleted', 0);

-- Succeeded and failed jobs per hour (ms since the epoch of the hour's start).
CREATE TABLE spool_hourly_counts (
  hour INTEGER PRIMARY KEY,
  succeeded INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE spool_paused_queues (
  name TEXT PRIMARY KEY
) WITHOUT ROWID;

CREATE TABLE spool_recurring (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  cron TEXT NOT NULL,
  timezone TEXT NOT NULL,
  queue TEXT NOT NULL,
  priority INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  timeout_ms INTEGER,
  retention_ms INTEGER,
  misfire TEXT NOT NULL,
  paused INTEGER NOT NULL,
  next_run_at INTEGER,
  last_run_at INTEGER,
  last_job_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  args TEXT NOT NULL
);
CREATE INDEX spool_recurring_due ON spool_recurring (next_run_at) WHERE paused = 0 AND next_run_at IS NOT NULL;

CREATE TABLE spool_servers (
  id TEXT PRIMARY KEY,
  hostname TEXT NOT NULL,
  pid INTEGER NOT NULL,
  queues TEXT NOT NULL,
  concurrency INTEGER NOT NULL,
  job_names TEXT NOT NULL,
  running INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'one job per recurring occurrence',
    // Each (recurring id, occurrence) holds at most one job, refused by the database itself: whatever
    // the cron arithmetic or a server's clock says, a second job for the same occurrence cannot be
    // written. The index is partial (jobs of recurring occurrences only), so other enqueues write
    // no entry; an expired job's row leaves it with the row. Adding a nullable column rewrites no row.
    sql: `
ALTER TABLE spool_jobs ADD COLUMN occurrence_at INTEGER;
CREATE UNIQUE INDEX spool_jobs_occurrence ON spool_jobs (recurring_id, occurrence_at) WHERE occurrence_at IS NOT NULL;
`,
  },
  {
    version: 3,
    name: 'recurring schedule settings and run count',
    // The settings (day matching, overlap, jitter, start, end, run limit) are one JSON text that
    // core writes and reads (encodeRecurringSettings); the storage keeps it as it is. `runs` grows in
    // the firing's transaction, so a run limit holds across servers. NULL settings are the defaults.
    sql: `
ALTER TABLE spool_recurring ADD COLUMN settings TEXT;
ALTER TABLE spool_recurring ADD COLUMN runs INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    version: 4,
    name: 'recurring job history',
    // What the scheduler did with each occurrence (fired, queued, skipped by the overlap policy,
    // missed) and the operators' triggers and backfills, written in the firing's transaction. Each
    // recurring job keeps its latest entries (RECURRING_HISTORY_LIMIT): the firing trims the older
    // ones through the index, which also serves the newest-first read.
    sql: `
CREATE TABLE spool_recurring_history (
  seq INTEGER PRIMARY KEY,
  recurring_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  event TEXT NOT NULL,
  occurrence_at INTEGER,
  from_at INTEGER,
  job_id TEXT,
  reason TEXT NOT NULL
);
CREATE INDEX spool_recurring_history_by_id ON spool_recurring_history (recurring_id, seq);
`,
  },
  {
    version: 5,
    name: 'the occurrence keys of jobs fired before them',
    // Migration 2 gave occurrence keys to the jobs created after it only: a job that the scheduler
    // created before it held no key, so a backfill over its occurrence ran it again. Such a job is
    // one whose creation reason is the scheduler's ("Recurring job <id>: occurrence of ...") and
    // whose parameters name its occurrence; a triggered job (it had an occurrence parameter too) is
    // left out. Of two jobs for one occurrence, the first by id keeps it; an occurrence held already
    // (by a job created since) stays with that job. Reads the jobs of recurring jobs once.
    sql: `
CREATE TEMP TABLE spool_occurrences_to_key AS
  SELECT recurring_id,
    CAST(round((julianday(json_extract(parameters, '$.recurringOccurrence')) - 2440587.5) * 86400000.0) AS INTEGER) AS at,
    min(id) AS id
  FROM spool_jobs
  WHERE occurrence_at IS NULL AND recurring_id IS NOT NULL
    AND json_valid(parameters) AND json_type(parameters, '$.recurringOccurrence') = 'text'
    AND substr(created_reason, 1, length('Recurring job ' || recurring_id || ': occurrence of ')) = 'Recurring job ' || recurring_id || ': occurrence of '
  GROUP BY 1, 2;
DELETE FROM spool_occurrences_to_key WHERE at IS NULL
  OR EXISTS (SELECT 1 FROM spool_jobs j WHERE j.recurring_id = spool_occurrences_to_key.recurring_id AND j.occurrence_at = spool_occurrences_to_key.at);
UPDATE spool_jobs SET occurrence_at = (SELECT k.at FROM spool_occurrences_to_key k WHERE k.id = spool_jobs.id)
  WHERE id IN (SELECT id FROM spool_occurrences_to_key);
DROP TABLE spool_occurrences_to_key;
`,
  },
  {
    version: 6,
    name: 'flow control: limits and their gates',
    // Limits per scope (a queue or a job name), one row each, both layers as JSON (core's stored
    // form). A gate is one counted share of a limit (a scope's, or one key's in it): how many of its
    // jobs run, and the starts of its current rate window. A job records the gates it took when it
    // started (held_gates, a JSON array) and gives them back when it leaves processing; every claim
    // overwrites the column, so it never needs clearing. The partial index answers "does any job
    // hold a gate now", which lets changes of unlimited jobs skip the release. spool_jobs_keyed holds
    // the enqueued jobs that have a key (the job parameter spool.limitKey), by queue, name and key:
    // a claim reads the first jobs of each key through it, instead of passing over the backlog of a
    // key at its limit row by row. (json_valid first: a row whose parameters were damaged by hand
    // must still be writable, so that the server can fail it with decodeError.)
    sql: `
CREATE TABLE spool_limits (
  scope TEXT PRIMARY KEY,
  code TEXT,
  operator TEXT,
  set_by TEXT,
  set_at INTEGER
) WITHOUT ROWID;
CREATE TABLE spool_gates (
  gate TEXT PRIMARY KEY,
  running INTEGER NOT NULL DEFAULT 0,
  window_start INTEGER NOT NULL DEFAULT 0,
  window_count INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX spool_gates_held ON spool_gates (running) WHERE running > 0;
ALTER TABLE spool_jobs ADD COLUMN held_gates TEXT;
CREATE INDEX spool_jobs_keyed ON spool_jobs (queue, name, iif(json_valid(parameters), json_extract(parameters, '$."spool.limitKey"'), NULL), priority DESC, enqueue_seq)
  WHERE state = 'enqueued' AND iif(json_valid(parameters), json_extract(parameters, '$."spool.limitKey"'), NULL) IS NOT NULL;
`,
  },
  {
    version: 7,
    name: 'flow control: the enqueued jobs without a key',
    // A claim reads the jobs of names whose limits go per key apart from their keyed jobs: through
    // this index, jobs of such a name that carry no key, in queue order, without passing over the
    // backlog of the name's full keys row by row (decision 34). The same key expression as
    // spool_jobs_keyed, so that the claim's query matches the index's condition.
    sql: `
CREATE INDEX spool_jobs_unkeyed ON spool_jobs (queue, name, priority DESC, enqueue_seq)
  WHERE state = 'enqueued' AND iif(json_valid(parameters), json_extract(parameters, '$."spool.limitKey"'), NULL) IS NULL;
`,
  },
  {
    version: 8,
    name: 'flow control: paused gates',
    // A gate's pause (decision 31): until when no job of it starts, set when a job of it threw
    // rateLimited(delay). 0: not paused. Claims read it with the gate; admission never writes it.
    sql: `ALTER TABLE spool_gates ADD COLUMN paused_until INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    version: 9,
    name: 'job metrics: counts per period, job name, queue, series and bin',
    // Servers add their counts (outcomes, and the bins of the wait and run time histograms) with an
    // upsert that adds, so the counts of several servers add up. The key leads with the period and
    // its start: a read of a window and the removal of old periods are ranges of the key.
    sql: `
CREATE TABLE spool_metrics (
  period TEXT NOT NULL,
  at INTEGER NOT NULL,
  name TEXT NOT NULL,
  queue TEXT NOT NULL,
  series TEXT NOT NULL,
  bin INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (period, at, name, queue, series, bin)
) WITHOUT ROWID;
`,
  },
  {
    version: 10,
    name: 'the audit log of operator actions',
    // One row per action, numbered in order (AUTOINCREMENT: a number is never given twice, even
    // after the newest rows were removed); each append removes the rows older than the latest kept,
    // a range of the key.
    sql: `
CREATE TABLE spool_audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  targets TEXT NOT NULL,
  count INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  message TEXT NOT NULL
);
`,
  },
  {
    version: 12,
    name: 'dead letters: the mark and the error name they are grouped by',
    // A dead letter is a failed job with a mark (decision 42): when it was dead-lettered and the
    // name of the error it died of. Both partial indexes hold dead letters only, so listing and
    // counting them never reads the other jobs: the list walks ids newest first, the counts group
    // (job name, error name) straight from the index.
    sql: `
ALTER TABLE spool_jobs ADD COLUMN dead_lettered_at INTEGER;
ALTER TABLE spool_jobs ADD COLUMN dead_letter_error TEXT;
CREATE INDEX spool_jobs_dead_letters ON spool_jobs (id) WHERE dead_lettered_at IS NOT NULL;
CREATE INDEX spool_jobs_dead_letter_groups ON spool_jobs (name, dead_letter_error, dead_lettered_at) WHERE dead_lettered_at IS NOT NULL;
`,
  },
  {
    version: 14,
    name: 'batches and flows',
    // Decision 46. A job's row says whether its changes settle anything (flow: 1 a batch member,
    // 2 a parent of other jobs), so that every other job's write skips the settling; a waiting
    // job counts the dependencies it still waits for. A batch's counters are kept by its members'
    // writes, never counted from rows. A dependency's row lives until its parent settles it.
    sql: `
ALTER TABLE spool_jobs ADD COLUMN flow INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spool_jobs ADD COLUMN batch_id TEXT;
ALTER TABLE spool_jobs ADD COLUMN pending_parents INTEGER NOT NULL DEFAULT 0;
-- A batch's jobs, newest first, for its page and its cancellation.
CREATE INDEX spool_jobs_batch ON spool_jobs (batch_id, id) WHERE batch_id IS NOT NULL;
CREATE TABLE spool_batches (
  id TEXT PRIMARY KEY,
  description TEXT,
  parent_batch_id TEXT,
  total INTEGER NOT NULL DEFAULT 0,
  finished INTEGER NOT NULL DEFAULT 0,
  succeeded INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  finished_at INTEGER,
  cancelled_at INTEGER
) WITHOUT ROWID;
CREATE INDEX spool_batches_nested ON spool_batches (parent_batch_id) WHERE parent_batch_id IS NOT NULL;
CREATE TABLE spool_dependencies (
  parent_id TEXT NOT NULL,
  child_id TEXT NOT NULL,
  parent_kind TEXT NOT NULL,
  policy TEXT NOT NULL,
  PRIMARY KEY (parent_id, child_id)
) WITHOUT ROWID;
`,
  },
];
