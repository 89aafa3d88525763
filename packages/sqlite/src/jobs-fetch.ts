import { randomUUID } from 'node:crypto';

import type { FetchedJob, JobClaimParams, JobState, JobsFetchParams } from '@spool/core';
import { CLAIM_NOW_INTENT, assertFixedWrite, claimIntent, decideStateChange } from '@spool/core';
import { mayBeLimited } from '@spool/core/storage-kit';

import type { JobValues } from './job-row.js';
import { COL, JOB_COLUMNS, JOB_SELECT, decodeFetched } from './job-row.js';
import { historyRef, transition } from './job-transition.js';
import { claimGated } from './jobs-fetch-gated.js';
import { readLimitsInForce } from './limits-store.js';
import type { WriteContext } from './write-context.js';

// The claim reads the first runnable jobs of a queue from the partial index, then leases each one by
// its rowid. Both run inside one BEGIN IMMEDIATE transaction, so no other connection can claim the
// same rows in between. Reading first (rather than UPDATE ... RETURNING) gives the rows in queue
// order and lets the lease token and history id be chosen here, in one statement per row.
// INDEXED BY, here and in other queries whose speed depends on one index: without statistics, SQLite
// may pick another partial index that also matches and sort its rows.
export const ROWID = JOB_COLUMNS.length;
const PICK_ANY_SQL = `SELECT ${JOB_SELECT}, rowid FROM spool_jobs INDEXED BY spool_jobs_runnable
WHERE state = 'enqueued' AND queue = ? ORDER BY priority DESC, enqueue_seq LIMIT ?`;
const PICK_NAMED_SQL = `SELECT ${JOB_SELECT}, rowid FROM spool_jobs INDEXED BY spool_jobs_runnable
WHERE state = 'enqueued' AND queue = ? AND name IN (SELECT value FROM json_each(?)) ORDER BY priority DESC, enqueue_seq LIMIT ?`;
const PICK_ONE_SQL = `SELECT ${JOB_SELECT}, rowid FROM spool_jobs WHERE id = ? AND state = 'enqueued'`;
const LEASE_SQL = `UPDATE spool_jobs SET
  state = 'processing', attempt = attempt + 1, lease_token = ?, server_id = ?, lease_expires_at = ?,
  started_at = ?, updated_at = ?, history_ids = history_ids || ?, held_gates = ?
WHERE rowid = ?`;

// LEASE_SQL writes the shape of core's FIXED_WRITES.claim, checked against the decision when this
// module loads; its counters are counted once per queue.
assertFixedWrite('SQLite LEASE_SQL', 'claim');
const CLAIM_COUNTERS = decideStateChange({ from: 'enqueued', ...claimIntent('', 1, '', 0), now: 0, serverId: null }).counters;

/**
 * Moves up to `limit` enqueued jobs to processing, queue by queue in the given order (a later queue
 * only when earlier ones ran dry), skipping paused queues. Emits no events: servers must not mistake
 * their own claim for someone else's change.
 */
export function fetchJobs(ctx: WriteContext, params: JobsFetchParams): FetchedJob[] {
  const { conn } = ctx;
  const paused = conn.pluck('SELECT name FROM spool_paused_queues').all() as string[];
  const names = params.names === null ? null : JSON.stringify(params.names);
  const limits = readLimitsInForce(conn);
  const fetched: FetchedJob[] = [];
  for (const queue of params.queues) {
    const wanted = params.limit - fetched.length;
    if (wanted <= 0) break;
    if (paused.length > 0 && paused.includes(queue)) continue;
    if (mayBeLimited(limits, queue, params.names)) {
      const start = (row: JobValues, gates: readonly string[]): FetchedJob => {
        ctx.counted(CLAIM_COUNTERS, queue);
        return lease(ctx, row, params.serverId, params.leaseMs, gates);
      };
      fetched.push(...claimGated(ctx, { queue, names: params.names, wanted, limits }, start));
      continue;
    }
    const rows = (names === null ? conn.raw(PICK_ANY_SQL).all(queue, wanted) : conn.raw(PICK_NAMED_SQL).all(queue, names, wanted)) as JobValues[];
    if (rows.length === 0) continue;
    for (const row of rows) fetched.push(lease(ctx, row, params.serverId, params.leaseMs));
    ctx.counted(CLAIM_COUNTERS, queue, rows.length);
  }
  return fetched;
}

/**
 * Claims one job by id (for `perform`): null when it does not exist, is not in an expected state or
 * is already running. A job not yet enqueued is enqueued first, so its
 * history tells the whole story. Emits no events.
 */
export function claimJob(ctx: WriteContext, params: JobClaimParams): FetchedJob | null {
  const current = ctx.conn.pluck('SELECT state FROM spool_jobs WHERE id = ?').get(params.id) as JobState | undefined;
  if (current === undefined || !params.expected.includes(current) || current === 'processing') return null;
  if (current !== 'enqueued') {
    transition(ctx, { id: params.id, from: current, intent: CLAIM_NOW_INTENT, serverId: null }, ctx.silent);
  }
  const row = ctx.conn.raw(PICK_ONE_SQL).get(params.id) as JobValues;
  const job = lease(ctx, row, params.serverId, params.leaseMs);
  ctx.counted(CLAIM_COUNTERS, job.queue);
  return job;
}

/** Puts one picked row under a fresh lease and records the start in its history; `gates`: the flow-control gates it takes. */
function lease(ctx: WriteContext, row: JobValues, serverId: string, leaseMs: number, gates: readonly string[] = []): FetchedJob {
  const id = row[COL.id] as string;
  const token = randomUUID();
  const attempt = (row[COL.attempt] as number) + 1;
  const leaseExpiresAt = ctx.now + leaseMs;
  const historyId = ctx.nextHistoryId();
  const held = gates.length > 0 ? JSON.stringify(gates) : null;
  ctx.conn.stmt(LEASE_SQL).run(token, serverId, leaseExpiresAt, ctx.now, ctx.now, historyRef(historyId), held, row[ROWID]);
  const { reason, data } = claimIntent(serverId, attempt, token, leaseExpiresAt);
  ctx.history(historyId, id, 'processing', reason, data, serverId);
  row[COL.state] = 'processing';
  row[COL.attempt] = attempt;
  row[COL.lease_token] = token;
  row[COL.server_id] = serverId;
  row[COL.lease_expires_at] = leaseExpiresAt;
  row[COL.started_at] = ctx.now;
  row[COL.updated_at] = ctx.now;
  return decodeFetched(row);
}
