import type { JobState, NewJob } from '@spool/core';
import { boundScopesOf, boundedAdditions, checkQueueRoom, queueBoundsOfRows } from '@spool/core/storage-kit';

import { ACTIVE_STATES_SQL } from './state-guard.js';
import type { WriteContext } from './write-context.js';

/**
 * Refuses a create that does not fit its bounded queues, before it writes: locks the limits row of
 * each of the batch's queues that has one (in scope order, so two creators never wait on each
 * other in a circle), reads the bounds from the locked rows and then the queues' enqueued counts in
 * a later statement (under READ COMMITTED it sees every creator that held the lock before), and
 * lets core decide (`checkQueueRoom`). Creators of one bounded queue take turns on its row until
 * their transactions end; claims and completions never take it.
 */
export async function checkRoom(ctx: WriteContext, jobs: readonly NewJob[], planned: readonly JobState[]): Promise<void> {
  const locked = await ctx.db.run(`SELECT scope, code, operator FROM ${ctx.s}.limits WHERE scope = ANY($1::text[]) ORDER BY scope FOR UPDATE`, [
    boundScopesOf(jobs.map((j) => j.queue)),
  ]);
  const bounds = queueBoundsOfRows(locked);
  if (bounds.size === 0) return;
  const held = await heldKeys(ctx, jobs);
  const created = jobs.flatMap((job, i) => (job.uniqueKey !== null && held.has(job.uniqueKey) ? [] : [{ queue: job.queue, state: planned[i]! }]));
  const adding = boundedAdditions(bounds, created);
  if (adding.size === 0) return;
  const counts = await ctx.db.run(`SELECT substr(key, 7) AS queue, sum(value)::bigint AS size FROM ${ctx.s}.counters WHERE key = ANY($1::text[]) GROUP BY key`, [
    [...adding.keys()].map((queue) => `queue:${queue}`),
  ]);
  const sizes = new Map(counts.map((row) => [row.queue as string, Number(row.size)]));
  checkQueueRoom(bounds, adding, (queue) => sizes.get(queue) ?? 0);
}

/** The unique keys of the batch that an active job holds already: those jobs are answered with the holder, not created. */
async function heldKeys(ctx: WriteContext, jobs: readonly NewJob[]): Promise<Set<string>> {
  const keys = [...new Set(jobs.flatMap((j) => (j.uniqueKey === null ? [] : [j.uniqueKey])))];
  if (keys.length === 0) return new Set();
  const rows = await ctx.db.run(`SELECT unique_key FROM ${ctx.s}.jobs WHERE unique_key = ANY($1::text[]) AND state IN ${ACTIVE_STATES_SQL}`, [keys]);
  return new Set(rows.map((row) => row.unique_key as string));
}
