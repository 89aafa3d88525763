/** One schema change: applied once, in its own transaction, and recorded in `<schema>.migrations`. */
export interface Migration {
  version: number;
  name: string;
  /** The SQL, given the quoted schema name. */
  sql: (schema: string) => string;
}

/**
 * Every schema change, oldest first. Never edit a released migration: add a new one.
 *
 * Design notes for version 1 (docs/postgres.md explains them at length):
 * - Dates are bigint milliseconds since the epoch (the storage clock's unit); JSON payloads are text,
 *   written and read as the application serialised them (no jsonb parse on the hot path).
 * - The claim reads `jobs_runnable`, a partial index over enqueued jobs only, keyed by queue and job
 *   name before priority and queue position: a server asks for the names it can run, one index range
 *   per name, so a backlog of jobs no running server handles is never walked. Scheduled, processing
 *   and finished jobs are not in it at all.
 * - History lives in its own append-only table that the claim never reads.
 * - Counts per state, per queue and per hour are maintained in `counters` in the writing transaction,
 *   spread over shards (a writer picks one at random) so that concurrent servers rarely wait on the
 *   same counter row. The read model sums the shards; it never counts rows of `jobs`.
 * - `fillfactor` leaves room in each page so that state changes can be HOT updates when no indexed
 *   column changes.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: (s) => `
CREATE TABLE ${s}.jobs (
  id text PRIMARY KEY,
  state text NOT NULL,
  queue text NOT NULL,
  name text NOT NULL,
  priority integer NOT NULL,
  -- Position in the queue, taken from enqueue_seq each time the job is (re)enqueued.
  enqueue_seq bigint NOT NULL DEFAULT 0,
  attempt integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  rescues integer NOT NULL DEFAULT 0,
  lease_token text,
  lease_expires_at bigint,
  server_id text,
  run_at bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  started_at bigint,
  finished_at bigint,
  expires_at bigint,
  timeout_ms bigint,
  retention_ms bigint,
  unique_key text,
  parent_id text,
  continue_on text,
  recurring_id text,
  progress double precision,
  backoff text,
  error text,
  result text,
  parameters text NOT NULL,
  args text NOT NULL
) WITH (fillfactor = 80);

CREATE SEQUENCE ${s}.enqueue_seq;

-- The claim: runnable jobs only, per queue and name, higher priority first, then FIFO.
CREATE INDEX jobs_runnable ON ${s}.jobs (queue, name, priority DESC, enqueue_seq) WHERE state = 'enqueued';
-- The delayed scheduler: due times of scheduled jobs only.
CREATE INDEX jobs_scheduled ON ${s}.jobs (run_at) WHERE state = 'scheduled';
-- The watchdog's scan of expired leases: processing jobs only.
CREATE INDEX jobs_leases ON ${s}.jobs (lease_expires_at) WHERE state = 'processing';
-- Expiration: only jobs that will be removed.
CREATE INDEX jobs_expiry ON ${s}.jobs (expires_at) WHERE expires_at IS NOT NULL;
-- Dashboard lists of the rare states, newest first.
CREATE INDEX jobs_state ON ${s}.jobs (state, id) WHERE state IN ('scheduled', 'awaiting', 'failed', 'deleted');
-- Continuations waiting for a parent.
CREATE INDEX jobs_awaiting ON ${s}.jobs (parent_id) WHERE state = 'awaiting';
-- Unique keys: at most one active job holds a key, across every server.
CREATE UNIQUE INDEX jobs_unique ON ${s}.jobs (unique_key)
  WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'enqueued', 'awaiting', 'processing');

CREATE TABLE ${s}.history (
  id bigserial PRIMARY KEY,
  job_id text NOT NULL,
  state text NOT NULL,
  reason text NOT NULL,
  data text,
  at bigint NOT NULL,
  server_id text
);
CREATE INDEX history_job ON ${s}.history (job_id);

CREATE TABLE ${s}.logs (
  id bigserial PRIMARY KEY,
  job_id text NOT NULL,
  attempt integer NOT NULL,
  level text NOT NULL,
  message text NOT NULL,
  at bigint NOT NULL
);
CREATE INDEX logs_job ON ${s}.logs (job_id);

-- Maintained counts: 'state:<state>', 'queue:<name>' (enqueued jobs), 'succeeded:<hour ms>' and
-- 'failed:<hour ms>'. A writer adds to one shard; readers sum them.
CREATE TABLE ${s}.counters (
  key text NOT NULL,
  shard smallint NOT NULL,
  value bigint NOT NULL,
  PRIMARY KEY (key, shard)
) WITH (fillfactor = 50);

CREATE TABLE ${s}.paused_queues (
  name text PRIMARY KEY
);

CREATE TABLE ${s}.recurring (
  id text PRIMARY KEY,
  name text NOT NULL,
  cron text NOT NULL,
  timezone text NOT NULL,
  queue text NOT NULL,
  priority integer NOT NULL,
  max_attempts integer NOT NULL,
  timeout_ms bigint,
  retention_ms bigint,
  misfire text NOT NULL,
  paused boolean NOT NULL,
  next_run_at bigint,
  last_run_at bigint,
  last_job_id text,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  args text NOT NULL
);
CREATE INDEX recurring_due ON ${s}.recurring (next_run_at) WHERE NOT paused AND next_run_at IS NOT NULL;

CREATE TABLE ${s}.servers (
  id text PRIMARY KEY,
  hostname text NOT NULL,
  pid integer NOT NULL,
  queues text NOT NULL,
  concurrency integer NOT NULL,
  job_names text NOT NULL,
  running integer NOT NULL,
  started_at bigint NOT NULL,
  heartbeat_at bigint NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'index for the oldest enqueued job of each queue',
    // The dashboard shows how long each queue's oldest job has waited. Without this index that is a
    // scan of every enqueued job of the queue (a backlog of 40,000 took about 300 ms); with it, one
    // index probe. It costs one index entry per enqueue; a claimed job leaves it.
    sql: (s) => `CREATE INDEX jobs_enqueued_age ON ${s}.jobs (queue, enqueue_seq) WHERE state = 'enqueued';`,
  },
  {
    version: 3,
    name: "a job's creation entry in its row",
    // Every job has exactly one creation entry, written with the row: keeping it in the row saves a
    // history row and its two index entries per enqueue (as the SQLite storage does). Rows created
    // before this migration keep their creation entry in the history table; readers take both.
    // Adding nullable columns without a default changes no existing row.
    sql: (s) => `ALTER TABLE ${s}.jobs ADD COLUMN created_state text, ADD COLUMN created_reason text;`,
  },
  {
    version: 4,
    name: "the latest attempt's history entries in the job's row",
    // A job that runs once and succeeds (nearly every job) has three entries: created, started,
    // succeeded. Since migration 3 the first is in the row; this keeps the other two there as well,
    // so the claim and the completion write no history row and no history index entry (about a
    // third of each statement's work and WAL). `tail` says which entries the row holds, after every
    // history row: 1 = started (time started_at, server server_id, attempt attempt), 2 = succeeded
    // (time finished_at, reason tail_reason, server tail_server when another server than server_id
    // reported it). Any other state change first copies them into
    // `history` ("spills" them) and clears `tail`, so entries keep their order.
    // `job_history` is the one definition of a job's whole history, for readers and for the spill.
    // Adding a column with a constant default rewrites no row.
    sql: (s) => `
ALTER TABLE ${s}.jobs ADD COLUMN tail smallint NOT NULL DEFAULT 0, ADD COLUMN tail_reason text, ADD COLUMN tail_server text;

CREATE VIEW ${s}.job_history AS
  SELECT id AS job_id, created_state AS state, created_reason AS reason, NULL::text AS data, created_at AS at,
    NULL::text AS server_id, 0 AS part, 0::bigint AS seq
  FROM ${s}.jobs WHERE created_state IS NOT NULL
UNION ALL
  SELECT job_id, state, reason, data, at, server_id, 1, id FROM ${s}.history
UNION ALL
  SELECT id, 'processing', 'Started by server ' || server_id, json_build_object('serverId', server_id, 'attempt', attempt)::text,
    started_at, server_id, 2, 0
  FROM ${s}.jobs WHERE tail & 1 <> 0
UNION ALL
  SELECT id, 'succeeded', tail_reason, NULL, finished_at, coalesce(tail_server, server_id), 3, 0 FROM ${s}.jobs WHERE tail & 2 <> 0;
`,
  },
  {
    version: 5,
    name: 'no separate index for the oldest enqueued job of each queue',
    // Migration 2's index also matched the claim's conditions (state and queue), and before the table
    // had statistics (after a bulk enqueue into a new table, until autovacuum analysed it) the planner
    // chose it for the claim: every enqueued job of the queue read and sorted for each batch (16 ms
    // instead of 1 ms at 40,000 jobs, growing with the backlog). The dashboard now finds a queue's
    // oldest job through jobs_runnable (one probe per job name and priority), and each enqueue writes
    // one index entry fewer.
    sql: (s) => `DROP INDEX IF EXISTS ${s}.jobs_enqueued_age;`,
  },
  {
    version: 6,
    name: 'a mark on every job that a continuation has waited for',
    // A batch of successes is one statement on its own (no BEGIN, COMMIT or second statement) for
    // jobs that no continuation waits for; see jobs-complete.ts. The statement sees the awaiting
    // continuations that were committed when it started; `awaited` covers the ones created while it
    // waited for the creator's lock on the parent: the creator sets it on the parent, in the
    // transaction that creates the continuation, so the waiting statement re-reads the row after the
    // wait and leaves the job to the transaction that settles continuations. The mark is never
    // cleared: a job that had continuations takes the slower path if it runs again, which costs
    // time, not correctness. Adding a column with a constant default rewrites no row.
    sql: (s) => `ALTER TABLE ${s}.jobs ADD COLUMN awaited boolean NOT NULL DEFAULT false;`,
  },
  {
    version: 7,
    name: 'continuations found by their parent through an index of their own',
    // Finishing a job looks for continuations waiting for it: `parent_id = $1 AND state = 'awaiting'`.
    // That condition also matches jobs_state (state, id), and when the statistics said that nothing
    // was awaiting, the planner read the awaiting range of jobs_state instead of jobs_awaiting, once
    // for every job of a batch of successes: cost that grows with the number of waiting
    // continuations. The lookup now compares the state in a way no partial index matches
    // (state-guard.ts) and finds the children through this index, which has no state in its
    // predicate: every job that has a parent, whatever its state. It replaces jobs_awaiting, which
    // nothing reads any more. Continuations are few, so the build is short, but it holds off writes
    // to the jobs table while it runs.
    sql: (s) => `
CREATE INDEX jobs_parent ON ${s}.jobs (parent_id) WHERE parent_id IS NOT NULL;
DROP INDEX IF EXISTS ${s}.jobs_awaiting;
`,
  },
  {
    version: 8,
    name: 'one job per recurring occurrence',
    // Each (recurring id, occurrence) holds at most one job, refused by the database itself: whatever
    // the cron arithmetic or a server's clock says, a second job for the same occurrence cannot be
    // committed, even by two servers firing at once. The index is partial (jobs of recurring
    // occurrences only), so other enqueues write no entry; an expired job's row leaves it with the
    // row. Adding a nullable column without a default rewrites no row.
    sql: (s) => `
ALTER TABLE ${s}.jobs ADD COLUMN occurrence_at bigint;
CREATE UNIQUE INDEX jobs_occurrence ON ${s}.jobs (recurring_id, occurrence_at) WHERE occurrence_at IS NOT NULL;
`,
  },
  {
    version: 9,
    name: 'recurring schedule settings and run count',
    // The settings (day matching, overlap, jitter, start, end, run limit) are one JSON text that
    // core writes and reads (encodeRecurringSettings); the storage keeps it as it is. `runs` grows in
    // the firing's transaction, under the record's row lock, so a run limit holds across servers.
    // NULL settings are the defaults; a constant default rewrites no row.
    sql: (s) => `ALTER TABLE ${s}.recurring ADD COLUMN settings text, ADD COLUMN runs integer NOT NULL DEFAULT 0;`,
  },
  {
    version: 10,
    name: 'recurring job history',
    // What the scheduler did with each occurrence (fired, queued, skipped by the overlap policy,
    // missed) and the operators' triggers and backfills, written in the firing's transaction under
    // the record's row lock, so `seq` orders one recurring job's entries as they were committed.
    // Each recurring job keeps its latest entries (RECURRING_HISTORY_LIMIT): the firing trims the
    // older ones through the index, which also serves the newest-first read. A new table, no rewrite.
    sql: (s) => `
CREATE TABLE ${s}.recurring_history (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  recurring_id text NOT NULL,
  at bigint NOT NULL,
  event text NOT NULL,
  occurrence_at bigint,
  from_at bigint,
  job_id text,
  reason text NOT NULL
);
CREATE INDEX recurring_history_by_id ON ${s}.recurring_history (recurring_id, seq);
`,
  },
  {
    version: 11,
    name: 'the occurrence keys of jobs fired before them',
    // Migration 8 gave occurrence keys to the jobs created after it only: a job that the scheduler
    // created before it held no key, so a backfill over its occurrence ran it again. Such a job is
    // one whose creation reason (in its row since migration 3, else its first history row) is the
    // scheduler's ("Recurring job <id>: occurrence of ...") and whose parameters name its occurrence;
    // a triggered job (it had an occurrence parameter too) is left out. Of two jobs for one
    // occurrence, the first by id keeps it; an occurrence held already (by a job created since)
    // stays with that job. Reads the jobs of recurring jobs once; rewrites only the rows it keys.
    sql: (s) => `
WITH fired AS (
  SELECT j.id, j.recurring_id, (j.parameters::jsonb)->>'recurringOccurrence' AS iso,
    coalesce(j.created_reason, (SELECT h.reason FROM ${s}.history h WHERE h.job_id = j.id ORDER BY h.id LIMIT 1)) AS reason
  FROM ${s}.jobs j
  WHERE j.occurrence_at IS NULL AND j.recurring_id IS NOT NULL AND j.parameters LIKE '%recurringOccurrence%'
), keyed AS (
  SELECT DISTINCT ON (recurring_id, at) id, recurring_id, at FROM (
    SELECT id, recurring_id, (extract(epoch FROM iso::timestamptz) * 1000)::bigint AS at FROM fired
    WHERE iso ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z$'
      AND starts_with(reason, 'Recurring job ' || recurring_id || ': occurrence of ')
  ) c
  ORDER BY recurring_id, at, id
)
UPDATE ${s}.jobs j SET occurrence_at = k.at FROM keyed k
WHERE j.id = k.id
  AND NOT EXISTS (SELECT 1 FROM ${s}.jobs o WHERE o.recurring_id = k.recurring_id AND o.occurrence_at = k.at);
`,
  },
  {
    version: 12,
    name: 'flow control: limits and their gates',
    // Limits per scope (a queue or a job name), both layers as JSON text (core's stored form). A
    // gate is one counted share of a limit (a scope's, or one key's in it): how many of its jobs run,
    // and the starts of its current rate window; a claim locks the gates it admits against, so limits
    // hold across servers. A job records the gates it took (held_gates) and gives them back when it
    // leaves processing; every claim writes the column. Nullable columns without a default rewrite
    // no row; new tables, no rewrite.
    sql: (s) => `
CREATE TABLE ${s}.limits (
  scope text PRIMARY KEY,
  code text,
  operator text,
  set_by text,
  set_at bigint
);
CREATE TABLE ${s}.gates (
  gate text PRIMARY KEY,
  running integer NOT NULL DEFAULT 0,
  window_start bigint NOT NULL DEFAULT 0,
  window_count integer NOT NULL DEFAULT 0
);
ALTER TABLE ${s}.jobs ADD COLUMN held_gates text[];
`,
  },
  {
    version: 13,
    name: 'flow control: the enqueued jobs by key',
    // A claim reads jobs of names whose limits go per key key by key: the keys of a name's waiting
    // jobs by a skip scan of this index, the first jobs of each key with room, and the jobs without a
    // key (NULL) apart, so that it never passes over a full key's backlog row by row (decision 34).
    // The key expression is the claim's own: the JSON is parsed only for rows that mention the key.
    sql: (s) => `
CREATE INDEX jobs_keyed ON ${s}.jobs (queue, name, (CASE WHEN parameters LIKE '%"spool.limitKey"%' THEN (parameters::jsonb) ->> 'spool.limitKey' END), priority DESC, enqueue_seq)
  WHERE state = 'enqueued';
`,
  },
  {
    version: 14,
    name: 'flow control: paused gates',
    // A gate's pause (decision 31): until when no job of it starts, set when a job of it threw
    // rateLimited(delay); 0: not paused. A column with a constant default rewrites no row.
    sql: (s) => `ALTER TABLE ${s}.gates ADD COLUMN paused_until bigint NOT NULL DEFAULT 0;`,
  },
  {
    version: 15,
    name: 'job metrics: counts per period, job name, queue, series and bin',
    // Servers add their counts (outcomes, and the bins of the wait and run time histograms) with an
    // upsert that adds, so the counts of several servers add up. The key leads with the period and
    // its start: a read of a window and the removal of old periods are ranges of the key. A new
    // table, no rewrite.
    sql: (s) => `
CREATE TABLE ${s}.metrics (
  period text NOT NULL,
  at bigint NOT NULL,
  name text NOT NULL,
  queue text NOT NULL,
  series text NOT NULL,
  bin integer NOT NULL,
  count bigint NOT NULL,
  PRIMARY KEY (period, at, name, queue, series, bin)
);
`,
  },
  {
    version: 16,
    name: 'the audit log of operator actions',
    // One row per action, numbered in order; each append removes the rows older than the latest
    // kept, a range of the primary key. A new table, no rewrite.
    sql: (s) => `
CREATE TABLE ${s}.audit (
  seq bigserial PRIMARY KEY,
  at bigint NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  subject text NOT NULL,
  targets text NOT NULL,
  count integer NOT NULL,
  outcome text NOT NULL,
  message text NOT NULL
);
`,
  },
  {
    version: 18,
    name: 'dead letters: the mark and the error name they are grouped by',
    // A dead letter is a failed job with a mark (decision 42). Adding nullable columns without a
    // default rewrites no row; both partial indexes hold dead letters only, so listing and counting
    // them never reads the other jobs.
    sql: (s) => `
ALTER TABLE ${s}.jobs ADD COLUMN dead_lettered_at bigint, ADD COLUMN dead_letter_error text;
CREATE INDEX jobs_dead_letters ON ${s}.jobs (id) WHERE dead_lettered_at IS NOT NULL;
CREATE INDEX jobs_dead_letter_groups ON ${s}.jobs (name, dead_letter_error, dead_lettered_at) WHERE dead_lettered_at IS NOT NULL;
`,
  },
  {
    version: 20,
    name: 'batches and flows',
    // Decision 46. A job's row says whether its changes settle anything (flow: 1 a batch member,
    // 2 a parent of other jobs), so that every other job's write skips the settling and a batch of
    // successes stays one statement (it leaves flow jobs to the general write); a waiting job
    // counts the dependencies it still waits for. Columns with constant defaults rewrite no row;
    // the index is partial, so jobs of no batch do not enter it.
    sql: (s) => `
ALTER TABLE ${s}.jobs ADD COLUMN flow smallint NOT NULL DEFAULT 0;
ALTER TABLE ${s}.jobs ADD COLUMN batch_id text;
ALTER TABLE ${s}.jobs ADD COLUMN pending_parents integer NOT NULL DEFAULT 0;
CREATE INDEX jobs_batch ON ${s}.jobs (batch_id, id) WHERE batch_id IS NOT NULL;
CREATE TABLE ${s}.batches (
  id text PRIMARY KEY,
  description text,
  parent_batch_id text,
  total integer NOT NULL DEFAULT 0,
  finished integer NOT NULL DEFAULT 0,
  succeeded integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  created_at bigint NOT NULL,
  finished_at bigint,
  cancelled_at bigint
);
CREATE INDEX batches_nested ON ${s}.batches (parent_batch_id) WHERE parent_batch_id IS NOT NULL;
CREATE TABLE ${s}.dependencies (
  parent_id text NOT NULL,
  child_id text NOT NULL,
  parent_kind text NOT NULL,
  policy text NOT NULL,
  PRIMARY KEY (parent_id, child_id)
);
`,
  },
];
