import { randomUUID } from 'node:crypto';

import type { FetchedJob, Handover } from '@spool/core';
import type { HandoverScopes } from '@spool/core/storage-kit';
import { KEY_SEPARATOR, handoverGate, handoverScopes } from '@spool/core/storage-kit';

import type { Row } from './executor.js';
import { JOB_SELECT, decodeFetched } from './job-row.js';
import { CLAIM_COUNTERS, lease, readPausedAndLimits } from './jobs-fetch.js';
import { limitedJob } from './jobs-fetch-gated.js';
import { heldGates } from './limits-store.js';
import type { WriteContext } from './write-context.js';

// The hand-over of a success's place (decision 53). The storage asks for it only when the limits
// it knows of (read at most a few seconds ago) may let a place pass; the write then reads the
// limits in force and the paused queues again, in its transaction, as a claim reads them, so a
// limit changed elsewhere a moment ago is honoured as the claim would honour it.
//
// The successes whose places may pass keep their gates until the end of the write. There the gates
// of every job the write gives back (and the scope gate of each key gate) are locked in gate order,
// in one locking read: the same rows the write's last statement locks to give gates back, taken
// earlier, so claims and other writes still meet them in one order. Then the first waiting jobs of
// each open key (not paused) are read through jobs_keyed and locked with SKIP LOCKED, as a claim
// reads a key's first jobs (a job another claim holds is left to it), and leased as a claim leases
// them, holding the same gate, whose count stays. A place nobody takes is given back and announced
// as without a hand-over.

/** A place a success of the write frees that may pass: the job's queue and its one gate. */
export interface OfferedPlace {
  queue: string;
  gate: string;
}

/** A hand-over in a completion write: what core's handoverScopes allows, and the places offered. */
export class CompletionHandover {
  /** Places the successes freed that may pass, in the order the write met them. */
  readonly offered: OfferedPlace[] = [];

  private constructor(
    private readonly asked: Handover,
    private readonly scopes: HandoverScopes,
    private readonly paused: ReadonlySet<string>,
  ) {}

  /**
   * The hand-over a write may make for `asked`, by the limits in force and paused queues read in
   * its transaction; null when nothing may pass, and the write is the plain one.
   */
  static async prepare(ctx: WriteContext, asked: Handover): Promise<CompletionHandover | null> {
    if (asked.limit <= 0 || asked.queues.length === 0) return null;
    const { paused, limits } = await readPausedAndLimits(ctx, asked.queues);
    const scopes = handoverScopes(limits, asked.queues, asked.names);
    return scopes === null ? null : new CompletionHandover(asked, scopes, paused);
  }

  /**
   * Keeps a success's place for the hand-over when it may pass (it held one gate, its name's key
   * gate, in a queue that may take it and is not paused): true when it is kept, and the caller
   * then does not give it back.
   */
  offer(queue: string, held: unknown): boolean {
    const gates = heldGates(held);
    if (gates === null || this.paused.has(queue)) return false;
    const gate = handoverGate(this.scopes, { queue, heldGates: gates });
    if (gate === null) return false;
    this.offered.push({ queue, gate });
    return true;
  }

  /**
   * Passes the offered places to their keys' next jobs, leased to `serverId`, and gives back the
   * places that did not pass; returns the jobs leased. Runs last in the write, once every gate the
   * write gives back is known.
   */
  async complete(ctx: WriteContext, serverId: string): Promise<FetchedJob[]> {
    if (this.offered.length === 0) return [];
    const places = new Map<string, { queue: string; gate: string; n: number }>();
    for (const { queue, gate } of this.offered) {
      const id = `${queue}\n${gate}`;
      const place = places.get(id);
      if (place === undefined) places.set(id, { queue, gate, n: 1 });
      else place.n++;
    }
    const open = await this.lockGates(ctx);
    const leased = await this.pick(ctx, [...places.values()].filter((p) => open.has(p.gate)));
    const token = randomUUID();
    const held = new Map(leased.map(({ row, gate }) => [row.id as string, [gate]]));
    const rows = leased.map(({ row }) => row);
    if (rows.length > 0) await lease(ctx, rows, token, serverId, this.asked.leaseMs, held);
    const passed = new Map<string, number>();
    for (const { row, gate } of leased) {
      const id = `${row.queue as string}\n${gate}`;
      passed.set(id, (passed.get(id) ?? 0) + 1);
      ctx.counted(CLAIM_COUNTERS, row.queue as string);
    }
    for (const [id, { queue, gate, n }] of places) {
      for (let freed = n - (passed.get(id) ?? 0); freed > 0; freed--) ctx.releaseGates([gate], queue);
      if (n > (passed.get(id) ?? 0)) ctx.events.enqueued(queue);
    }
    return rows.map(decodeFetched);
  }

  /**
   * Locks every gate the write gives back, the offered ones and the scope gate of each key gate,
   * in gate order; returns the offered gates that are not paused.
   */
  private async lockGates(ctx: WriteContext): Promise<Set<string>> {
    const gates = new Set([...ctx.releasing(), ...this.offered.map((p) => p.gate)]);
    for (const gate of [...gates]) {
      const at = gate.indexOf(KEY_SEPARATOR);
      if (at >= 0) gates.add(gate.slice(0, at));
    }
    const rows = await ctx.db.rows(`SELECT gate, paused_until FROM ${ctx.t.gates} WHERE gate IN (?) ORDER BY gate FOR UPDATE`, [[...gates].sort()]);
    const offered = new Set(this.offered.map((p) => p.gate));
    return new Set(rows.filter((r) => offered.has(r.gate as string) && Number(r.paused_until) <= ctx.now).map((r) => r.gate as string));
  }

  /**
   * The first waiting jobs of each place's queue, name and key (at most its count of places), the
   * first `limit` of them in queue order, locked (SKIP LOCKED) and checked still waiting there.
   */
  private async pick(ctx: WriteContext, places: ReadonlyArray<{ queue: string; gate: string; n: number }>): Promise<Array<{ row: Row; gate: string }>> {
    if (places.length === 0) return [];
    const limit = this.asked.limit;
    const keyOf = (gate: string) => {
      const at = gate.indexOf(KEY_SEPARATOR);
      return { name: gate.slice(4, at), key: gate.slice(at + 1) };
    };
    const head = (n: number) =>
      `(SELECT id, priority, enqueue_seq, ? AS place FROM ${ctx.t.jobs} FORCE INDEX (jobs_keyed) WHERE state = 'enqueued' AND queue = ? AND name = ? AND limit_key = ? ORDER BY priority DESC, enqueue_seq LIMIT ${n})`;
    const found = await ctx.db.rows(
      places.map((p) => head(Math.min(p.n, limit))).join(' UNION ALL '),
      places.flatMap((p, i) => {
        const { name, key } = keyOf(p.gate);
        return [i, p.queue, name, Buffer.from(key, 'utf8')];
      }),
    );
    found.sort((a, b) => Number(b.priority) - Number(a.priority) || Number(a.enqueue_seq) - Number(b.enqueue_seq));
    const chosen = found.slice(0, limit);
    if (chosen.length === 0) return [];
    const placeOf = new Map(chosen.map((r) => [r.id as string, places[Number(r.place)]!]));
    const locked = await ctx.db.rows(`SELECT ${JOB_SELECT} FROM ${ctx.t.jobs} WHERE id IN (?) AND state = 'enqueued' FOR UPDATE SKIP LOCKED`, [[...placeOf.keys()]]);
    // The ids were read without a lock: a job changed since (another queue, name or key) is left.
    return locked.flatMap((row) => {
      const place = placeOf.get(row.id as string)!;
      const job = limitedJob(row);
      const { name, key } = keyOf(place.gate);
      return job.queue === place.queue && job.name === name && job.limitKey === key ? [{ row, gate: place.gate }] : [];
    });
  }
}
