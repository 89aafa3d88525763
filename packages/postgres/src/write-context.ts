import type { JobState, Json, StateChange } from '@spool/core';

import { EventBatch } from './event-batch.js';
import type { Executor } from './executor.js';
import { jsonOrNull } from './job-row.js';

/** Counter rows per key: concurrent writers pick one at random, so they seldom wait for each other. */
export const COUNTER_SHARDS = 16;

/**
 * What one write accumulates: its executor and time, its events, its history entries and the
 * changes to the maintained counters. History and counters are written by {@link flush} in one
 * statement (with the NOTIFY, if any) just before the commit, not once per job.
 */
export class WriteContext {
  readonly events = new EventBatch();
  /** Events of operations that must not emit (fetch and claim): gathered, then dropped. */
  readonly silent = new EventBatch();
  /** The counter shard this write adds to. */
  readonly shard = Math.floor(Math.random() * COUNTER_SHARDS);
  private readonly counters = new Map<string, number>();
  private readonly historyRows: unknown[][] = [[], [], [], [], [], []];
  /**
   * The storage clock's time for the whole write (ms since the epoch). NaN for a single statement
   * that reads the database's clock itself ({@link nowParam} null).
   */
  readonly now: number;

  constructor(
    readonly db: Executor,
    /** The quoted schema name. */
    readonly s: string,
    /** The time to bind in statements: the clock's, or null for the database's `now()`. */
    readonly nowParam: number | null,
    /** The NOTIFY channel, and this storage's sender id in payloads. */
    readonly channel: string,
    readonly sender: string,
  ) {
    this.now = nowParam ?? Number.NaN;
  }

  /** Counts a created job in `state`. */
  created(state: JobState, queue: string, count = 1): void {
    this.add(`state:${state}`, count);
    if (state === 'enqueued') this.add(`queue:${queue}`, count);
  }

  /** Counts `count` jobs changed as a decided change's counters say, in `queue`. */
  counted(counters: StateChange['counters'], queue: string, count = 1): void {
    this.add(`state:${counters.down}`, -count);
    this.add(`state:${counters.up}`, count);
    if (counters.queue !== 0) this.add(`queue:${queue}`, counters.queue * count);
    if (counters.series !== null) this.add(`${counters.series.state}:${counters.series.bucket}`, count);
  }

  /** Counts removed jobs. */
  removed(state: JobState, count = 1): void {
    this.add(`state:${state}`, -count);
  }

  /** Adds to one counter. */
  add(key: string, delta: number): void {
    this.counters.set(key, (this.counters.get(key) ?? 0) + delta);
  }

  /** Appends a history entry (written in bulk by {@link flush}). */
  history(jobId: string, state: JobState, reason: string, data: Json, serverId: string | null): void {
    const [ids, states, reasons, datas, ats, servers] = this.historyRows as [unknown[], unknown[], unknown[], unknown[], unknown[], unknown[]];
    ids.push(jobId);
    states.push(state);
    reasons.push(reason);
    datas.push(jsonOrNull(data));
    ats.push(this.now);
    servers.push(serverId);
  }

  /**
   * Writes the buffered history, the accumulated counters and the NOTIFY in one statement. Runs in
   * the write's transaction, just before it commits. Counter rows are locked in key order, so two
   * writers never wait for each other in a cycle.
   */
  async flush(): Promise<void> {
    const keys = [...this.counters.keys()].filter((k) => this.counters.get(k) !== 0 || k.startsWith('queue:')).sort();
    const payload = this.events.payload(this.sender);
    if (this.historyRows[0]!.length === 0 && keys.length === 0 && payload === null) return;
    await this.db.run(
      `WITH h AS (
  INSERT INTO ${this.s}.history (job_id, state, reason, data, at, server_id)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[])
), c AS (
  INSERT INTO ${this.s}.counters (key, shard, value)
  SELECT k, $7, v FROM unnest($8::text[], $9::bigint[]) AS u(k, v) ORDER BY k
  ON CONFLICT (key, shard) DO UPDATE SET value = counters.value + excluded.value
)
SELECT pg_notify($10, $11) WHERE $11::text IS NOT NULL`,
      [...this.historyRows, this.shard, keys, keys.map((k) => this.counters.get(k)), this.channel, payload],
      true,
    );
  }
}
