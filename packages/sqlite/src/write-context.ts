import type { JobState, Json, StateChange } from '@spool/core';

import { EventBatch } from './event-batch.js';
import { jsonOrNull } from './job-row.js';
import { InsertShape, RowInserter } from './row-inserter.js';
import type { SqliteConnection } from './sqlite-connection.js';

const HISTORY = new InsertShape('spool_history', ['id', 'job_id', 'state', 'reason', 'data', 'at', 'server_id']);
const ADD_COUNTER_SQL =
  'INSERT INTO spool_counters (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = value + excluded.value';

/**
 * What one write transaction accumulates: its time, its events, its history entries, and the changes
 * to the maintained counters (per state, per queue, per hour) and sequences. Counters are written
 * once per transaction by {@link flush}, not once per job; history in multi-row inserts.
 */
export class WriteContext {
  readonly events = new EventBatch();
  /** Events of operations that must not emit (fetch and claim): gathered, then dropped. */
  readonly silent = new EventBatch();
  private readonly stateDeltas = new Map<JobState, number>();
  private readonly queueDeltas = new Map<string, number>();
  private readonly series = new Map<number, { succeeded: number; failed: number }>();
  private historyRows: RowInserter | null = null;
  private lastHistoryId: number | null = null;
  private seq: number | null = null;
  private seqStart = 0;
  private awaiting: number | null = null;
  private held: boolean | null = null;

  constructor(
    readonly conn: SqliteConnection,
    /** The storage clock's time for the whole transaction. */
    readonly now: number,
    /** Whether writes fixed in advance (the success statement) may stand in for the general one; off only to compare the two. */
    readonly fastPaths = true,
  ) {}

  /** Counts a created job in `state`. */
  created(state: JobState, queue: string, count = 1): void {
    this.addState(state, count);
    if (state === 'enqueued') this.addQueue(queue, count);
  }

  /** Counts `count` jobs changed as a decided change's counters say, in `queue`. */
  counted(counters: StateChange['counters'], queue: string, count = 1): void {
    this.addState(counters.down, -count);
    this.addState(counters.up, count);
    if (counters.queue !== 0) this.addQueue(queue, counters.queue * count);
    if (counters.series !== null) {
      const point = this.series.get(counters.series.bucket) ?? { succeeded: 0, failed: 0 };
      point[counters.series.state] += count;
      this.series.set(counters.series.bucket, point);
    }
  }

  /** Moves one waiting job's count from one queue to another (a change of an enqueued job's queue). */
  queueMoved(moved: { down: string; up: string }): void {
    this.addQueue(moved.down, -1);
    this.addQueue(moved.up, 1);
  }

  /** Counts removed jobs. */
  removed(state: JobState, count = 1): void {
    this.addState(state, -count);
  }

  /** How many jobs of `queue` are enqueued, counting this transaction's changes so far. */
  queueSize(queue: string): number {
    const stored = (this.conn.pluck('SELECT value FROM spool_counters WHERE key = ?').get(`queue:${queue}`) as number | undefined) ?? 0;
    return stored + (this.queueDeltas.get(queue) ?? 0);
  }

  /** Whether any job may be waiting for a parent (no continuation lookups otherwise). */
  hasAwaiting(): boolean {
    this.awaiting ??= this.conn.pluck("SELECT value FROM spool_counters WHERE key = 'state:awaiting'").get() as number;
    return this.awaiting + (this.stateDeltas.get('awaiting') ?? 0) > 0;
  }

  /** Whether any job holds a flow-control gate (no release lookups otherwise). */
  gatesHeld(): boolean {
    this.held ??= this.conn.pluck('SELECT EXISTS (SELECT 1 FROM spool_gates INDEXED BY spool_gates_held WHERE running > 0)').get() === 1;
    return this.held;
  }

  /** Notes that a job took gates in this transaction. */
  tookGates(): void {
    this.held = true;
  }

  /** The next position at the back of every queue (shared by all processes through the database). */
  nextSeq(): number {
    if (this.seq === null) {
      this.seq = this.seqStart = this.conn.pluck("SELECT value FROM spool_counters WHERE key = 'enqueue_seq'").get() as number;
    }
    return ++this.seq;
  }

  /**
   * The id of the next history entry. Ids are chosen here (after the largest stored one: no other
   * writer runs inside this transaction) so that a job row can record them in the same statement
   * that changes its state. An id taken for a change that did not happen is simply never used.
   */
  nextHistoryId(): number {
    this.lastHistoryId ??= (this.conn.pluck('SELECT max(id) FROM spool_history').get() as number | null) ?? 0;
    return ++this.lastHistoryId;
  }

  /** Appends a history entry under an id from {@link nextHistoryId} (written in bulk by {@link flush}). */
  history(id: number, jobId: string, state: JobState, reason: string, data: Json, serverId: string | null): void {
    (this.historyRows ??= new RowInserter(this.conn, HISTORY)).add(id, jobId, state, reason, jsonOrNull(data), this.now, serverId);
  }

  /** Writes the buffered history and the accumulated counters. Runs inside the transaction, just before it commits. */
  flush(): void {
    this.historyRows?.flush();
    const add = this.conn.stmt(ADD_COUNTER_SQL);
    if (this.seq !== null && this.seq !== this.seqStart) add.run('enqueue_seq', this.seq - this.seqStart);
    for (const [state, delta] of this.stateDeltas) if (delta !== 0) add.run(`state:${state}`, delta);
    // A queue's counter is created even by a zero change: the queue then shows in monitoring.
    for (const [queue, delta] of this.queueDeltas) add.run(`queue:${queue}`, delta);
    for (const [hour, point] of this.series) {
      this.conn
        .stmt(
          `INSERT INTO spool_hourly_counts (hour, succeeded, failed) VALUES (?, ?, ?)
           ON CONFLICT (hour) DO UPDATE SET succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed`,
        )
        .run(hour, point.succeeded, point.failed);
    }
  }

  private addState(state: JobState, delta: number): void {
    this.stateDeltas.set(state, (this.stateDeltas.get(state) ?? 0) + delta);
  }

  private addQueue(queue: string, delta: number): void {
    this.queueDeltas.set(queue, (this.queueDeltas.get(queue) ?? 0) + delta);
  }
}
