import type { FetchedJob } from '../job/records.js';

/**
 * How long a prefetched job should expect to wait for a slot. The buffer holds about as many jobs as
 * the server finishes in this time, so short jobs are claimed in large batches (one round trip for
 * many jobs) while long jobs are never held back from other servers.
 */
const HORIZON_MS = 25;
/** Weight of the newest duration in the running average. */
const SMOOTHING = 0.2;

/**
 * Jobs claimed ahead of free slots, in claim order. Each is leased like a running job (the lease
 * keeper renews it) and starts as soon as a slot frees; at shutdown the unstarted ones go back.
 */
export class PrefetchBuffer {
  private readonly jobs = new Map<string, FetchedJob>();
  private averageMs: number | null = null;

  constructor(
    private readonly max: number,
    private readonly concurrency: number,
  ) {}

  /** Jobs waiting in the buffer. */
  get size(): number {
    return this.jobs.size;
  }

  /** How many jobs to hold beyond the free slots now: none until job durations are known. */
  target(): number {
    if (this.max === 0 || this.averageMs === null) return 0;
    if (this.averageMs <= 0) return this.max;
    return Math.min(this.max, Math.floor((this.concurrency * HORIZON_MS) / this.averageMs));
  }

  /** Feeds the running average of how long jobs take. */
  recordDuration(ms: number): void {
    this.averageMs = this.averageMs === null ? ms : this.averageMs + SMOOTHING * (ms - this.averageMs);
  }

  add(job: FetchedJob): void {
    this.jobs.set(job.id, job);
  }

  /** The oldest buffered job, removed from the buffer. */
  take(): FetchedJob | undefined {
    const next = this.jobs.values().next();
    if (next.done) return undefined;
    this.jobs.delete(next.value.id);
    return next.value;
  }

  get(id: string): FetchedJob | undefined {
    return this.jobs.get(id);
  }

  delete(id: string): FetchedJob | undefined {
    const job = this.jobs.get(id);
    this.jobs.delete(id);
    return job;
  }

  /** Every buffered job. */
  values(): IterableIterator<FetchedJob> {
    return this.jobs.values();
  }

  /** Removes and returns every buffered job. */
  drain(): FetchedJob[] {
    const all = [...this.jobs.values()];
    this.jobs.clear();
    return all;
  }
}
