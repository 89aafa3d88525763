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
import { tailEntries } from './history-tail.js';
import { JOB_SELECT, decodeJob, toDate } from './job-row.js';
import { listServers } from './server-store.js';
import type { Tables } from './tables.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const DEFAULT_LOG_LIMIT = 500;

/**
 * The oldest enqueued job of a queue without sorting the queue: the runnable index holds each
 * priority's jobs in queue order, so the first job of each priority is one index probe, and the
 * oldest job is the earliest of those.
 */
const oldestEnqueuedSql = (jobs: string): string => `SELECT f.updated_at AS at FROM (
  SELECT (SELECT j.enqueue_seq FROM ${jobs} j FORCE INDEX (jobs_runnable)
          WHERE j.state = 'enqueued' AND j.queue = ? AND j.priority = p.priority ORDER BY j.enqueue_seq LIMIT 1) AS seq
  FROM (SELECT DISTINCT priority FROM ${jobs} FORCE INDEX (jobs_runnable) WHERE state = 'enqueued' AND queue = ?) p
) g JOIN ${jobs} f ON f.state = 'enqueued' AND f.queue = ? AND f.enqueue_seq = g.seq
ORDER BY g.seq LIMIT 1`;

/**
 * The monitoring read model over the MySQL tables. Counts come from the maintained counters
 * (summed over their shards); lists are bounded and paged by id through indexes.
 */
export class MySqlMonitoring implements MonitoringApi {
  constructor(
    private readonly read: <T>(doing: string, work: (db: Executor) => Promise<T>) => Promise<T>,
    private readonly t: Tables,
  ) {}

  async stats(): Promise<StatsRecord> {
    return this.read('reading stats', async (db) => {
      const states = Object.fromEntries(JOB_STATES.map((st) => [st, 0])) as Record<JobState, number>;
      const rows = await db.rows(`SELECT SUBSTRING(\`key\`, 7) AS state, SUM(value) AS value FROM ${this.t.counters} WHERE \`key\` LIKE 'state:%' GROUP BY \`key\``);
      for (const row of rows) if (isJobState(row.state)) states[row.state] = Number(row.value);
      const [other] = await db.rows(`SELECT (SELECT COUNT(*) FROM ${this.t.servers}) AS servers, (SELECT COUNT(*) FROM ${this.t.recurring}) AS recurring`);
      return { states, servers: Number(other!.servers), recurring: Number(other!.recurring) };
    });
  }

  async jobsList(params: JobsListParams): Promise<{ jobs: JobRecord[]; nextCursor: string | null }> {
    const where: string[] = [];
    const values: unknown[] = [];
    const term = (sql: string, ...bound: unknown[]): void => {
      where.push(sql);
      values.push(...bound);
    };
    if (params.state !== undefined) {
      if (!isJobState(params.state)) return { jobs: [], nextCursor: null };
      term('state = ?', params.state);
    }
    if (params.queue !== undefined) term('queue = ?', params.queue);
    if (params.name !== undefined) term('name = ?', params.name);
    if (params.search !== undefined) {
      const needle = params.search.toLowerCase();
      term('(id = ? OR LOCATE(?, LOWER(name)) > 0 OR LOCATE(?, LOWER(args)) > 0)', params.search, needle, needle);
    }
    if (params.serverId !== undefined) term('server_id = ?', params.serverId);
    const range = idRange(params.from, params.to);
    if (range.min !== null) term('id >= ?', range.min);
    if (range.max !== null) term('id < ?', range.max);
    if (params.order === 'name') return this.listInNameOrder(params, where, values);
    const after = decodeCursor(params.cursor);
    if (after !== null) term('id < ?', after);
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const rows = await this.read('listing jobs', (db) => db.rows(`SELECT ${JOB_SELECT} FROM ${this.t.jobs} ${filter} ORDER BY id DESC LIMIT ?`, [...values, params.limit + 1]));
    const page = rows.slice(0, params.limit);
    const nextCursor = rows.length > params.limit && page.length > 0 ? encodeCursor(page.at(-1)!.id as string) : null;
    return { jobs: page.map(decodeJob), nextCursor };
  }

  /** A page by job name, newest first within a name, in two reads (core's `pageInNameOrder`) through the `(name, id)` index. */
  private async listInNameOrder(params: JobsListParams, where: readonly string[], values: readonly unknown[]): Promise<{ jobs: JobRecord[]; nextCursor: string | null }> {
    const { rows, nextCursor } = await pageInNameOrder(
      params.cursor,
      params.limit,
      (read) => {
        const terms = [...where];
        const bound = [...values];
        let order = 'name, id DESC';
        if (read.part === 'same-name') {
          terms.push('name = ?', 'id < ?');
          bound.push(read.name, read.beforeId);
          order = 'id DESC';
        } else if (read.afterName !== null) {
          terms.push('name > ?');
          bound.push(read.afterName);
        }
        const filter = terms.length > 0 ? `WHERE ${terms.join(' AND ')}` : '';
        return this.read('listing jobs by name', (db) => db.rows(`SELECT ${JOB_SELECT} FROM ${this.t.jobs} ${filter} ORDER BY ${order} LIMIT ?`, [...bound, read.limit]));
      },
      (row) => ({ name: row.name as string, id: row.id as string }),
    );
    return { jobs: rows.map(decodeJob), nextCursor };
  }

  async jobDetails(params: { id: string; logLimit?: number }): Promise<JobDetails | null> {
    return this.read('reading job details', async (db) => {
      const [row] = await db.rows(`SELECT ${JOB_SELECT}, created_state, created_reason, tail, tail_reason, tail_server FROM ${this.t.jobs} WHERE id = ?`, [params.id]);
      if (row === undefined) return null;
      const rows = await db.rows(`SELECT job_id, state, reason, data, at, server_id FROM ${this.t.history} WHERE job_id = ? ORDER BY id`, [params.id]);
      const logs = await db.rows(`SELECT * FROM (SELECT * FROM ${this.t.logs} WHERE job_id = ? ORDER BY id DESC LIMIT ?) l ORDER BY id`, [
        params.id,
        params.logLimit ?? DEFAULT_LOG_LIMIT,
      ]);
      // The creation entry lives in the job's row.
      const created: HistoryRecord = {
        jobId: params.id,
        state: row.created_state as JobState,
        reason: row.created_reason as string,
        data: null,
        at: new Date(Number(row.created_at)),
        serverId: null,
      };
      // The latest attempt's entries may live in the row too, after every history row (history-tail.ts).
      const tail = tailEntries(row).map((e): HistoryRecord => ({ jobId: params.id, state: e.state, reason: e.reason, data: e.data, at: new Date(e.at), serverId: e.serverId }));
      return { job: decodeJob(row), history: [created, ...rows.map(decodeHistory), ...tail], logs: logs.map(decodeLog) };
    });
  }

  async queues(): Promise<QueueRecord[]> {
    return this.read('reading queues', async (db) => {
      const rows = await db.rows(
        `SELECT name, SUM(enqueued) AS enqueued, MAX(paused) AS paused FROM (
           SELECT SUBSTRING(\`key\`, 7) AS name, value AS enqueued, 0 AS paused FROM ${this.t.counters} WHERE \`key\` LIKE 'queue:%'
           UNION ALL
           SELECT name, 0, 1 FROM ${this.t.pausedQueues}
         ) q GROUP BY name ORDER BY name`,
      );
      const queues: QueueRecord[] = [];
      for (const r of rows) {
        const name = r.name as string;
        const enqueued = Number(r.enqueued);
        const oldest = enqueued > 0 ? (await db.rows(oldestEnqueuedSql(this.t.jobs), [name, name, name]))[0]?.at : null;
        queues.push({ name, enqueued, paused: Number(r.paused) === 1, oldestEnqueuedAt: toDate(oldest) });
      }
      return queues;
    });
  }

  async servers(): Promise<ServerRecord[]> {
    return this.read('reading servers', (db) => listServers(db, this.t));
  }

  async timeSeries(params: { bucket: 'hour' | 'day'; from: Date; to: Date }): Promise<TimeSeriesPoint[]> {
    const starts = bucketStarts(params.bucket, params.from, params.to);
    if (starts.length === 0) return [];
    const size = params.bucket === 'hour' ? HOUR_MS : DAY_MS;
    const first = starts[0]!;
    const end = starts.at(-1)! + size;
    // Hour keys hold 13-digit millisecond times until the year 2286, so text order is time order.
    const rows = await this.read('reading the time series', (db) =>
      db.rows(
        `SELECT \`key\`, SUM(value) AS value FROM ${this.t.counters}
         WHERE (\`key\` >= ? AND \`key\` < ?) OR (\`key\` >= ? AND \`key\` < ?) GROUP BY \`key\``,
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
