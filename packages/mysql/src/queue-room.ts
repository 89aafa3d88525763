import type { JobState, NewJob } from '@spool/core';
import { boundScopesOf, boundedAdditions, checkQueueRoom, queueBoundsOfRows } from '@spool/core/storage-kit';

import type { WriteContext } from './write-context.js';

/**
 * Refuses a create that does not fit its bounded queues, before it writes: locks the limits row of
 * each of the batch's queues that has one (a locking read in scope order, so two creators never wait
 * on each other in a circle), reads the bounds from the locked rows and then the queues' enqueued
 * counts (summed over the counter shards; the session reads committed, so it sees every creator
 * that held the lock before), and lets core decide (`checkQueueRoom`). Creators of one bounded
 * queue take turns on its row until their transactions end; claims and completions never take it.
 */
export async function checkRoom(ctx: WriteContext, creating: ReadonlyArray<{ job: NewJob; state: JobState }>): Promise<void> {
  if (creating.length === 0) return;
  const scopes = boundScopesOf(creating.map((c) => c.job.queue));
  const locked = await ctx.db.rows(`SELECT scope, code, operator FROM ${ctx.t.limits} WHERE scope IN (?) ORDER BY scope FOR UPDATE`, [scopes]);
  const bounds = queueBoundsOfRows(locked);
  if (bounds.size === 0) return;
  const adding = boundedAdditions(bounds, creating.map((c) => ({ queue: c.job.queue, state: c.state })));
  if (adding.size === 0) return;
  const counts = await ctx.db.rows(`SELECT \`key\` AS k, SUM(value) AS size FROM ${ctx.t.counters} WHERE \`key\` IN (?) GROUP BY \`key\``, [
    [...adding.keys()].map((queue) => `queue:${queue}`),
  ]);
  const sizes = new Map(counts.map((row) => [(row.k as string).slice(6), Number(row.size)]));
  checkQueueRoom(bounds, adding, (queue) => sizes.get(queue) ?? 0);
}
