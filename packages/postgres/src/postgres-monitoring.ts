import type {
  HistoryRecord,
  JobDetails,
  JobRecord,
  JobState,
  JobsListParams,
  Json,
  LogLevel,
  LogRecord,
  MonitoringApi,
  QueueRecord,
  ServerRecord,
  StatsRecord,
  TimeSeriesPoint,
} from '@spool/core';
import { JOB_STATES, isJobState } from '@spool/core';
import { bucketStarts, decodeCursor, encodeCursor, idRange, pageInNameOrder } from '@spool/core/storage-kit';

import type { Executor, Row } from './executor.js';
import { JOB_SELECT, decodeJob, toDate } from './job-row.js';
import { listServers } from './server-store.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const DEFAULT_LOG_LIMIT = 500;

/** Up to this many enqueued jobs in a queue, its list is read through the queue index and sorted. */
const SORT_QUEUE_UP_TO = 50_000;

/**
 * When the oldest enqueued job of queue $1 was enqueued, through the claim's index (queue, name,
 * priority DESC, enqueue_seq): the oldest job is the first of one (name, priority) group, so the
 * query walks the groups, one index probe each (job names by skipping from one to the next, then
 * each name's priorities), and compares their first jobs. No index of its own: one that matched the
 * claim's conditions tempted the planner away from the claim's index (migration 5).
 */
const oldestEnqueuedSql = (s: string): string => `WITH RECURSIVE names(name) AS (
  (SELECT name FROM ${s}.jobs WHERE state = 'enqueued' AND queue = $1 ORDER BY name LIMIT 1)
  UNION ALL
  SELECT (SELECT j.name FROM ${s}.jobs j WHERE j.state = 'enqueued' AND j.queue = $1 AND j.name > n.name ORDER BY j.name LIMIT 1)
  FROM names n WHERE n.name IS NOT NULL
), groups(name, priority) AS (
  SELECT n.name, (SELECT j.priority FROM ${s}.jobs j WHERE j.state = 'enqueued' AND j.queue = $1 AND j.name = n.name ORDER BY j.priority DESC LIMIT 1)
  FROM names n WHERE n.name IS NOT NULL
  UNION ALL
  SELECT g.name, (SELECT j.priority FROM ${s}.jobs j WHERE j.state = 'enqueued' AND j.queue = $1 AND j.name = g.name AND j.priority < g.priority ORDER BY j.priority DESC LIMIT 1)
  FROM groups g WHERE g.priority IS NOT NULL
)
SELECT f.updated_at AS at FROM groups g CROSS JOIN LATERAL (
  SELECT j.enqueue_seq, j.updated_at FROM ${s}.jobs j
  WHERE j.state = 'enqueued' AND j.queue = $1 AND j.name = g.name AND j.priority = g.priority ORDER BY j.enqueue_seq LIMIT 1
) f
WHERE g.priority IS NOT NULL
ORDER BY f.enqueue_seq LIMIT 1`;

/**
 * The monitoring read model over the PostgreSQL tables. Counts come from the maintained counters
 * (summed over their shards); lists are bounded and paged by id through indexes.
 */
export class PostgresMonitoring implements MonitoringApi {
  constructor(
    private readonly read: <T>(doing: string, work: (db: Executor) => Promise<T>) => Promise<T>,
    private readonly s: string,
  ) {}

  async stats(): Promise<StatsRecord> {
    return this.read('reading stats', async (db) => {
      const states = Object.fromEntries(JOB_STATES.map((st) => [st, 0])) as Record<JobState, number>;
      const rows = await db.run(
        `SELECT substr(key, 7) AS state, sum(value)::bigint AS value FROM ${this.s}.counters WHERE key LIKE 'state:%' GROUP BY key`,
      );
      for (const row of rows) if (isJobState(row.state)) states[row.state] = Number(row.value);
      const [other] = await db.run(
        `SELECT (SELECT count(*) FROM ${this.s}.servers)::int AS servers, (SELECT count(*) FROM ${this.s}.recurring)::int AS recurring`,
      );
      return { states, servers: other!.servers as number, recurring: other!.recurring as number };
    });
  }

  async jobsList(params: JobsListParams): Promise<{ jobs: JobRecord[]; nextCursor: string | null }> {
    const where: string[] = [];
    const values: unknown[] = [];
    const bind = (value: unknown): string => {
      values.push(value);
      return `$${values.length}`;
    };
    if (params.state !== undefined) {
      if (!isJobState(params.state)) return { jobs: [], nextCursor: null };
      // A literal, so that the planner can use the partial index of that state.
      where.push(`state = '${params.state}'`);
    }
    if (params.queue !== undefined) where.push(`queue = ${bind(params.queue)}`);
    if (params.name !== undefined) where.push(`name = ${bind(params.name)}`);
    if (params.search !== undefined) {
      const id = bind(params.search);
      const needle = bind(params.search.toLowerCase());
      where.push(`(id = ${id} OR strpos(lower(name), ${needle}) > 0 OR strpos(lower(args), ${needle}) > 0)`);
    }
    if (params.serverId !== undefined) where.push(`server_id = ${bind(params.serverId)}`);
    const range = idRange(params.from, params.to);
    if (range.min !== null) where.push(`id >= ${bind(range.min)}`);
    if (range.max !== null) where.push(`id < ${bind(range.max)}`);
    if (params.order === 'name') return this.listInNameOrder(params, where, values);
    const after = decodeCursor(params.cursor);
    if (after !== null) where.push(`id < ${bind(after)}`);
    const limit = bind(params.limit + 1);
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const rows = await this.read('listing jobs', async (db) => {
      // Walking the primary key from the newest job finds a common state at once, but passes over
      // every younger job to find a few old ones: running jobs (few, often old) and the enqueued jobs
      // of one queue when they are not many. Those are read through their partial index and sorted.
      const few = params.state === 'processing' || (params.state === 'enqueued' && params.queue !== undefined && (await this.queueLength(db, params.queue)) <= SORT_QUEUE_UP_TO);
      const sql = few
        ? `WITH matching AS MATERIALIZED (SELECT id FROM ${this.s}.jobs ${filter})
           SELECT ${JOB_SELECT} FROM ${this.s}.jobs WHERE id IN (SELECT id FROM matching ORDER BY id DESC LIMIT ${limit}) ORDER BY id DESC`
        : `SELECT ${JOB_SELECT} FROM ${this.s}.jobs ${filter} ORDER BY id DESC LIMIT ${limit}`;
      return db.run(sql, values);
    });
    const page = rows.slice(0, params.limit);
    const nextCursor = rows.length > params.limit && page.length > 0 ? encodeCursor(page.at(-1)!.id as string) : null;
    return { jobs: page.map(decodeJob), nextCursor };
  }

  /**
   * A page by job name, newest first within a name, in two reads (core's `pageInNameOrder`): through
   * the `(name, id)` index, or through a state's partial index and sorted when the planner finds
   * that state small.
   */
  private async listInNameOrder(params: JobsListParams, where: readonly string[], values: readonly unknown[]): Promise<{ jobs: JobRecord[]; nextCursor: string | null }> {
    const { rows, nextCursor } = await pageInNameOrder(
      params.cursor,
      params.limit,
      (read) =>
        this.read('listing jobs by name', (db) => {
          const terms = [...where];
          const bound = [...values];
          const bind = (value: unknown): string => {
            bound.push(value);
            return `$${bound.length}`;
          };
          let order = 'name, id DESC';
          if (read.part === 'same-name') {
            terms.push(`name = ${bind(read.name)}`, `id < ${bind(read.beforeId)}`);
            order = 'id DESC';
          } else if (read.afterName !== null) {
            terms.push(`name > ${bind(read.afterName)}`);
          }
          const filter = terms.length > 0 ? `WHERE ${terms.join(' AND ')}` : '';
          return db.run(`SELECT ${JOB_SELECT} FROM ${this.s}.jobs ${filter} ORDER BY ${order} LIMIT ${bind(read.limit)}`, bound);
        }),
      (row) => ({ name: row.name as string, id: row.id as string }),
    );
    return { jobs: rows.map(decodeJob), nextCursor };
  }

  /** The enqueued jobs of one queue, from the maintained counters. */
  private async queueLength(db: Executor, queue: string): Promise<number> {
    const [row] = await db.run(`SELECT coalesce(sum(value), 0)::bigint AS n FROM ${this.s}.counters WHERE key = $1`, [`queue:${queue}`]);
    return Number(row?.n ?? 0);
  }

  async jobDetails(params: { id: string; logLimit?: number }): Promise<JobDetails | null> {
    return this.read('reading job details', async (db) => {
      const [row] = await db.run(`SELECT ${JOB_SELECT} FROM ${this.s}.jobs WHERE id = $1`, [params.id]);
      if (row === undefined) return null;
      // The view joins the entries kept in the job's row (creation, latest attempt) with the history rows.
      const rows = await db.run(`SELECT job_id, state, reason, data, at, server_id FROM ${this.s}.job_history WHERE job_id = $1 ORDER BY part, seq`, [
        params.id,
      ]);
      const history = rows.map(decodeHistory);
      const logs = await db.run(`SELECT * FROM (SELECT * FROM ${this.s}.logs WHERE job_id = $1 ORDER BY id DESC LIMIT $2) l ORDER BY id`, [
        params.id,
        params.logLimit ?? DEFAULT_LOG_LIMIT,
      ]);
      return { job: decodeJob(row), history, logs: logs.map(decodeLog) };
    });
  }

  async queues(): Promise<QueueRecord[]> {
    return this.read('reading queues', async (db) => {
      const rows = await db.run(
        `SELECT q.name, coalesce(c.enqueued, 0)::bigint AS enqueued, p.name IS NOT NULL AS paused
         FROM (SELECT substr(key, 7) AS name FROM ${this.s}.counters WHERE key LIKE 'queue:%' UNION SELECT name FROM ${this.s}.paused_queues) q
         LEFT JOIN (SELECT substr(key, 7) AS name, sum(value) AS enqueued FROM ${this.s}.counters WHERE key LIKE 'queue:%' GROUP BY key) c ON c.name = q.name
         LEFT JOIN ${this.s}.paused_queues p ON p.name = q.name
         ORDER BY q.name`,
      );
      const queues: QueueRecord[] = [];
      for (const r of rows) {
        const enqueued = Number(r.enqueued);
        const oldest = enqueued > 0 ? (await db.run(oldestEnqueuedSql(this.s), [r.name]))[0]?.at : null;
        queues.push({ name: r.name as string, enqueued, paused: r.paused as boolean, oldestEnqueuedAt: toDate(oldest) });
      }
      return queues;
    });
  }

  async servers(): Promise<ServerRecord[]> {
    return this.read('reading servers', (db) => listServers(db, this.s));
  }

  async timeSeries(params: { bucket: 'hour' | 'day'; from: Date; to: Date }): Promise<TimeSeriesPoint[]> {
    const starts = bucketStarts(params.bucket, params.from, params.to);
    if (starts.length === 0) return [];
    const size = params.bucket === 'hour' ? HOUR_MS : DAY_MS;
    const first = starts[0]!;
    const end = starts.at(-1)! + size;
    // Hour keys hold 13-digit millisecond times until the year 2286, so text order is time order.
    const rows = await this.read('reading the time series', (db) =>
      db.run(
        `SELECT key, sum(value)::bigint AS value FROM ${this.s}.counters
         WHERE (key >= $1 AND key < $2) OR (key >= $3 AND key < $4) GROUP BY key`,
        [`succeeded:${first}`, `succeeded:${end}`, `failed:${first}`, `failed:${end}`],
      ),
    );
    const points = starts.map((start) => ({ at: new Date(start), succeeded: 0, failed: 0 }));
    for (const row of rows) {
      const [kind, hour] = (row.key as string).split(':') as ['succeeded' | 'failed', string];
      const point = points[Math.floor((Number(hour) - first) / size)];
      if (point === undefined) continue;
      point[kind] += Number(row.value);
    }
    return points;
  }
}

function decodeHistory(row: Row): HistoryRecord {
  let data: Json = null;
  if (row.data !== null) {
    try {
      data = JSON.parse(row.data as string) as Json;
    } catch {
      // History data is informational: show the raw text rather than hide the entry.
      data = row.data as string;
    }
  }
  return {
    jobId: row.job_id as string,
    state: row.state as JobState,
    reason: row.reason as string,
    data,
    at: new Date(Number(row.at)),
    serverId: row.server_id as string | null,
  };
}

function decodeLog(row: Row): LogRecord {
  return { jobId: row.job_id as string, attempt: row.attempt as number, level: row.level as LogLevel, message: row.message as string, at: new Date(Number(row.at)) };
}
