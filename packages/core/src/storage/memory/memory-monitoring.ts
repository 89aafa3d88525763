import type { JobRecord, QueueRecord, ServerRecord } from '../../job/records.js';
import type { JobDetails, JobsListParams, MonitoringApi, StatsRecord, TimeSeriesPoint } from '../contract.js';
import { bucketStarts, decodeCursor, encodeCursor, idRange, matchesSearch } from '../monitoring-helpers.js';
import { compareInNameOrder, decodeNameCursor, encodeNameCursor } from '../name-order.js';
import type { MemoryJob, MemoryState } from './memory-state.js';
import { enqueuedIn, toRecord } from './memory-state.js';

/** The monitoring read model over a memory storage's maps. */
export class MemoryMonitoring implements MonitoringApi {
  constructor(
    private readonly state: MemoryState,
    private readonly guard: () => void,
  ) {}

  async stats(): Promise<StatsRecord> {
    this.guard();
    return { states: { ...this.state.counts }, servers: this.state.servers.size, recurring: this.state.recurring.size };
  }

  async jobsList(params: JobsListParams): Promise<{ jobs: JobRecord[]; nextCursor: string | null }> {
    this.guard();
    const range = idRange(params.from, params.to);
    const filtered = [...this.state.jobs.values()].filter(
      (job) =>
        (params.state === undefined || job.state === params.state) &&
        (params.queue === undefined || job.queue === params.queue) &&
        (params.name === undefined || job.name === params.name) &&
        (params.search === undefined || matchesSearch(job, params.search)) &&
        (params.serverId === undefined || job.serverId === params.serverId) &&
        (range.min === null || job.id >= range.min) &&
        (range.max === null || job.id < range.max),
    );
    let matching: MemoryJob[];
    let cursorOf: (job: MemoryJob) => string;
    if (params.order === 'name') {
      const after = decodeNameCursor(params.cursor);
      matching = filtered.sort(compareInNameOrder).filter((job) => after === null || compareInNameOrder(job, after) > 0);
      cursorOf = (job) => encodeNameCursor(job);
    } else {
      const after = decodeCursor(params.cursor);
      matching = filtered.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).filter((job) => after === null || job.id < after);
      cursorOf = (job) => encodeCursor(job.id);
    }
    const page = matching.slice(0, params.limit);
    const nextCursor = matching.length > params.limit ? cursorOf(page.at(-1)!) : null;
    return { jobs: page.map((job) => toRecord(job)), nextCursor };
  }

  async jobDetails(params: { id: string; logLimit?: number }): Promise<JobDetails | null> {
    this.guard();
    const job: MemoryJob | undefined = this.state.jobs.get(params.id);
    if (!job) return null;
    return {
      job: toRecord(job),
      history: structuredClone(job.history),
      logs: structuredClone(job.logs.slice(-(params.logLimit ?? 500))),
    };
  }

  async queues(): Promise<QueueRecord[]> {
    this.guard();
    const names = new Set([...this.state.enqueued.keys(), ...this.state.pausedQueues]);
    return [...names].sort().map((name) => {
      const jobs = [...enqueuedIn(this.state, name)];
      let oldest: number | null = null;
      for (const job of jobs) {
        const at = job.updatedAt.getTime();
        if (oldest === null || at < oldest) oldest = at;
      }
      return { name, enqueued: jobs.length, paused: this.state.pausedQueues.has(name), oldestEnqueuedAt: oldest === null ? null : new Date(oldest) };
    });
  }

  async servers(): Promise<ServerRecord[]> {
    this.guard();
    return [...this.state.servers.values()].map((s) => structuredClone(s)).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async timeSeries(params: { bucket: 'hour' | 'day'; from: Date; to: Date }): Promise<TimeSeriesPoint[]> {
    this.guard();
    return bucketStarts(params.bucket, params.from, params.to).map((start) => {
      const end = start + (params.bucket === 'hour' ? 3_600_000 : 86_400_000);
      const point = { at: new Date(start), succeeded: 0, failed: 0 };
      for (let hour = start; hour < end; hour += 3_600_000) {
        const counts = this.state.hourly.get(hour);
        if (counts) {
          point.succeeded += counts.succeeded;
          point.failed += counts.failed;
        }
      }
      return point;
    });
  }
}
