import type { JobState, Json, StateChange } from '@spool/core';

import { EventBatch } from './event-batch.js';
import type { Executor, Row, Statement } from './executor.js';
import { tailEntries } from './history-tail.js';
import { jsonOrNull } from './job-row.js';
import { releaseGatesStatement } from './limits-store.js';
import type { Tables } from './tables.js';

/** Counter rows per key: concurrent writers pick one at random, so they seldom wait for each other. */
export const COUNTER_SHARDS = 16;

/**
 * What one write accumulates: its executor and time, its events, its history entries, the changes
 * to the maintained counters and the queue positions it drew. History and counters are written by
 * {@link takeFinalStatements} just before the commit, in one statement each, not once per job.
 */
export class WriteContext {
  readonly events = new EventBatch();
  /** Events of operations that must not emit (fetch and claim): gathered, then dropped. */
  readonly silent = new EventBatch();
  /** The counter shard this write adds to. */
  readonly shard = Math.floor(Math.random() * COUNTER_SHARDS);
  private readonly counters = new Map<string, number>();
  private readonly historyRows: unknown[][] = [];
  private readonly drawn: Array<[number, number]> = [];
  private readonly released = new Map<string, number>();
  /** Gates paused by rate-limited jobs of this write, until when: written with the release. */
  private readonly paused = new Map<string, number>();

  constructor(
    readonly db: Executor,
    readonly t: Tables,
    /** The storage clock's time for the whole write (ms since the epoch). */
    readonly now: number,
  ) {}

  /** Counts a created job in `state`. */
  created(state: JobState, queue: string, count = 1): void {
    this.add(`state:${state}`, count);
    if (state === 'enqueued') this.enteredQueue(queue, count);
  }

  /** Counts `count` jobs changed as a decided change's counters say, in `queue`. */
  counted(counters: StateChange['counters'], queue: string, count = 1): void {
    this.add(`state:${counters.down}`, -count);
    this.add(`state:${counters.up}`, count);
    if (counters.queue === 1) this.enteredQueue(queue, count);
    else if (counters.queue !== 0) this.add(`queue:${queue}`, counters.queue * count);
    if (counters.series !== null) this.add(`${counters.series.state}:${counters.series.bucket}`, count);
  }

  /** Moves one waiting job's count from one queue to another (a change of an enqueued job's queue). */
  queueMoved(moved: { down: string; up: string }): void {
    this.add(`queue:${moved.down}`, -1);
    this.enteredQueue(moved.up, 1);
  }

  /**
   * Counts jobs that entered a queue: its count of waiting jobs (`queue:`), and `entered:`, which
   * only grows, so that another process's change watcher sees an enqueue even when a claim took a
   * job between two of its checks (change-watcher.ts).
   */
  private enteredQueue(queue: string, count: number): void {
    this.add(`queue:${queue}`, count);
    this.add(`entered:${queue}`, count);
  }

  /**
   * Notes that jobs waiting in `queue` may start now (a gate given back, limits changed): `woken:`
   * only grows, and the change watcher of other processes wakes their servers when it does.
   */
  woke(queue: string): void {
    this.add(`woken:${queue}`, 1);
  }

  /**
   * Gives back the flow-control gates a job of `queue` took when it started (it just left
   * processing): written by {@link takeFinalStatements} in one statement for the whole write, in gate order.
   */
  releaseGates(gates: readonly string[], queue: string, pause: { gate: string; until: number } | null = null): void {
    for (const gate of gates) this.released.set(gate, (this.released.get(gate) ?? 0) + 1);
    if (pause !== null) this.paused.set(pause.gate, Math.max(this.paused.get(pause.gate) ?? 0, pause.until));
    this.woke(queue);
  }

  /** The gates this write gives back so far (each once), which its last statements lock and write. */
  releasing(): string[] {
    return [...this.released.keys()];
  }

  /** Counts removed jobs. */
  removed(state: JobState, count = 1): void {
    this.add(`state:${state}`, -count);
  }

  /** Appends a history entry (written in bulk by {@link takeFinalStatements}), at the write's time unless `at` says otherwise. */
  history(jobId: string, state: JobState, reason: string, data: Json, serverId: string | null, at = this.now): void {
    this.historyRows.push([jobId, state, reason, jsonOrNull(data), at, serverId]);
  }

  /** Appends the entries a job's row holds (history-tail.ts), at their own times, before the change that clears them. */
  spill(jobId: string, row: Row): void {
    for (const entry of tailEntries(row)) this.history(jobId, entry.state, entry.reason, entry.data, entry.serverId, entry.at);
  }

  /**
   * Draws `count` consecutive positions at the back of every queue; returns the first. The numbers
   * come from the AUTO_INCREMENT of the sequence table: one multi-row insert is given consecutive
   * values (a "simple insert" in every InnoDB lock mode), and no writer waits for another's commit.
   * The rows are deleted again by {@link takeFinalStatements}.
   */
  async drawPositions(count: number): Promise<number> {
    const { insertId } = await this.db.exec(`INSERT INTO ${this.t.enqueueSeq} (seq) VALUES ?`, [Array.from({ length: count }, () => [null])]);
    this.drawn.push([insertId, insertId + count]);
    return insertId;
  }

  /**
   * The statements that write the buffered history, the gates given back and the accumulated
   * counters, and empty the sequence table of this write's rows, to run in the write's transaction
   * just before it commits (the storage sends them with the COMMIT, in one round trip). Gate and
   * counter rows are written in key order, so two writers never wait for each other in a cycle. No
   * statement for gates when no job of the write held one.
   */
  takeFinalStatements(): Statement[] {
    const statements: Statement[] = [];
    if (this.historyRows.length > 0) {
      statements.push([`INSERT INTO ${this.t.history} (job_id, state, reason, data, at, server_id) VALUES ?`, [this.historyRows.splice(0)]]);
    }
    if (this.released.size > 0) {
      statements.push(releaseGatesStatement(this.t, this.released, this.paused));
      this.released.clear();
      this.paused.clear();
    }
    // A queue's counter is written even by a zero change: the queue then shows in monitoring.
    const keys = [...this.counters.keys()].filter((k) => this.counters.get(k) !== 0 || k.startsWith('queue:')).sort();
    if (keys.length > 0) {
      statements.push([
        `INSERT INTO ${this.t.counters} (\`key\`, shard, value) VALUES ? ON DUPLICATE KEY UPDATE value = value + VALUES(value)`,
        [keys.map((k) => [k, this.shard, this.counters.get(k)])],
      ]);
      this.counters.clear();
    }
    for (const [from, to] of this.drawn.splice(0)) statements.push([`DELETE FROM ${this.t.enqueueSeq} WHERE seq >= ? AND seq < ?`, [from, to]]);
    return statements;
  }

  /** Runs {@link takeFinalStatements} one by one (in a caller's transaction, which the caller commits). */
  async flush(): Promise<void> {
    for (const [sql, values] of this.takeFinalStatements()) await this.db.exec(sql, values);
  }

  private add(key: string, delta: number): void {
    this.counters.set(key, (this.counters.get(key) ?? 0) + delta);
  }
}
