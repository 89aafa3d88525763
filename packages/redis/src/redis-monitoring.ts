import type { Redis } from 'ioredis';

import type { JobDetails, JobRecord, JobState, JobsListParams, MonitoringApi, QueueRecord, ServerRecord, StatsRecord, TimeSeriesPoint } from '@spool/core';
import { JOB_STATES, isJobState } from '@spool/core';
import { bucketStarts, decodeCursor, decodeNameCursor, encodeCursor, encodeNameCursor, idRange } from '@spool/core/storage-kit';

import type { RawHash } from './job-decode.js';
import { decodeHistory, decodeJob, decodeLogs, decodeServers } from './job-decode.js';
import type { ScriptName } from './scripts/index.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const DEFAULT_LOG_LIMIT = 500;
/**
 * Most index entries one `jobsList` call reads when filters or a search leave many entries out.
 * Bounds the time one call holds Redis (a few milliseconds); the cursor carries on from there.
 */
export const LIST_SCAN_BUDGET = 5_000;

/**
 * Most job names one `jobsList` call in name order passes through. Each is one read of its own
 * index; when names without a matching job use them up, the page is short and the cursor goes on.
 */
export const LIST_NAMES_BUDGET = 20;

type Run = (name: ScriptName, doing: string, args: ReadonlyArray<string | number>) => Promise<unknown>;
type Read = <T>(doing: string, read: (client: Redis) => Promise<T>) => Promise<T>;

/**
 * The monitoring read model over the Redis keys: counts from maintained counters, lists from
 * per-state, per-queue and per-name indexes ordered by id, each list bounded in work.
 */
export class RedisMonitoring implements MonitoringApi {
  constructor(
    private readonly keyBase: string,
    private readonly run: Run,
    private readonly read: Read,
  ) {}

  async stats(): Promise<StatsRecord> {
    const [counts, servers, recurring] = (await this.run('stats', 'reading stats', [])) as [string[], number, number];
    const states = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    for (let i = 0; i < counts.length; i += 2) {
      const state = counts[i]!;
      if (isJobState(state)) states[state] = Number(counts[i + 1]);
    }
    return { states, servers: Number(servers), recurring: Number(recurring) };
  }

  async jobsList(params: JobsListParams): Promise<{ jobs: JobRecord[]; nextCursor: string | null }> {
    if (params.state !== undefined && !isJobState(params.state)) {
      await this.run('stats', 'listing jobs', []);
      return { jobs: [], nextCursor: null };
    }
    if (params.order === 'name') return this.listInNameOrder(params);
    const range = idRange(params.from, params.to);
    const reply = (await this.run('jobsList', 'listing jobs', [
      params.state ?? '',
      params.queue ?? '',
      params.name ?? '',
      params.serverId ?? '',
      params.search ?? '',
      range.min ?? '',
      range.max ?? '',
      decodeCursor(params.cursor) ?? '',
      Math.max(0, Math.floor(params.limit)),
      LIST_SCAN_BUDGET,
    ])) as Array<RawHash | string>;
    const cursor = reply[reply.length - 1] as string;
    const jobs: JobRecord[] = [];
    for (let i = 0; i < reply.length - 1; i += 2) jobs.push(decodeJob(reply[i] as string, reply[i + 1] as RawHash));
    return { jobs, nextCursor: cursor === '' ? null : encodeCursor(cursor) };
  }

  /**
   * A page by job name, newest first within a name: the names of `names` in order, each read
   * newest first through its own index (the newest-first list with a name), until the page holds
   * one job more than asked (so the cursor is exact), a name's read runs out of its scan budget, or
   * {@link LIST_NAMES_BUDGET} names were read. The cursor is the last job's name and id; an empty id
   * goes on after that name.
   */
  private async listInNameOrder(params: JobsListParams): Promise<{ jobs: JobRecord[]; nextCursor: string | null }> {
    const after = decodeNameCursor(params.cursor);
    const known = await this.read('listing job names', (client) => client.smembers(`${this.keyBase}names`));
    const names = known.filter((name) => (params.name === undefined || name === params.name) && (after === null || name >= after.name)).sort();
    const limit = Math.max(0, Math.floor(params.limit));
    const jobs: JobRecord[] = [];
    let read = 0;
    let lastRead: string | null = null;
    for (const name of names) {
      // Every name read so far was read to its end: go on after the last.
      if (read === LIST_NAMES_BUDGET && lastRead !== null) return { jobs, nextCursor: encodeNameCursor({ name: lastRead, id: '' }) };
      const sameName = after !== null && name === after.name;
      if (sameName && after.id === '') continue;
      read++;
      lastRead = name;
      const wanted = limit + 1 - jobs.length;
      const page = await this.jobsList({ ...params, order: 'newest', name, limit: wanted, cursor: sameName ? encodeCursor(after.id) : null });
      jobs.push(...page.jobs);
      if (jobs.length > limit) {
        const kept = jobs.slice(0, limit);
        return { jobs: kept, nextCursor: kept.length > 0 ? encodeNameCursor(kept.at(-1)!) : null };
      }
      // The name's read ran out of its scan budget: go on from where it stopped.
      if (page.nextCursor !== null) return { jobs, nextCursor: encodeNameCursor({ name, id: decodeCursor(page.nextCursor)! }) };
    }
    return { jobs, nextCursor: null };
  }

  async jobDetails(params: { id: string; logLimit?: number }): Promise<JobDetails | null> {
    const reply = (await this.run('jobDetails', 'reading job details', [params.id, params.logLimit ?? DEFAULT_LOG_LIMIT])) as [RawHash, string[]?];
    const raw = reply[0];
    if (raw.length === 0) return null;
    return { job: decodeJob(params.id, raw), history: decodeHistory(params.id, raw), logs: decodeLogs(params.id, reply[1] ?? []) };
  }

  async queues(): Promise<QueueRecord[]> {
    const reply = (await this.run('queues', 'reading queues', [])) as Array<string | number>;
    const queues: QueueRecord[] = [];
    for (let i = 0; i < reply.length; i += 4) {
      const enqueued = Number(reply[i + 1]);
      const oldest = reply[i + 2] as string;
      queues.push({ name: reply[i] as string, enqueued, paused: reply[i + 3] === '1', oldestEnqueuedAt: enqueued > 0 && oldest !== '' ? new Date(Number(oldest)) : null });
    }
    return queues;
  }

  async servers(): Promise<ServerRecord[]> {
    const [records, beats] = (await this.run('serversList', 'reading servers', [])) as [string[], string[]];
    return decodeServers(records, beats);
  }

  async timeSeries(params: { bucket: 'hour' | 'day'; from: Date; to: Date }): Promise<TimeSeriesPoint[]> {
    const starts = bucketStarts(params.bucket, params.from, params.to);
    if (starts.length === 0) return [];
    const size = params.bucket === 'hour' ? HOUR_MS : DAY_MS;
    const hours: number[] = [];
    for (let hour = starts[0]!; hour < starts.at(-1)! + size; hour += HOUR_MS) hours.push(hour);
    const fields = hours.flatMap((hour) => [`${hour}:s`, `${hour}:f`]);
    const values = await this.read('reading the time series', (c) => c.hmget(`${this.keyBase}hourly`, ...fields));
    const points = starts.map((start) => ({ at: new Date(start), succeeded: 0, failed: 0 }));
    const first = starts[0]!;
    hours.forEach((hour, i) => {
      const point = points[Math.floor((hour - first) / size)];
      if (point === undefined) return;
      point.succeeded += Number(values[i * 2] ?? 0);
      point.failed += Number(values[i * 2 + 1] ?? 0);
    });
    return points;
  }
}
