import type { JobState, NewJob } from '@spool/core';
import { decideDuplicate } from '@spool/core';

import { changeJob } from './job-updates.js';
import { ACTIVE_STATES_SQL } from './state-guard.js';
import type { WriteContext } from './write-context.js';

/**
 * Settles the jobs of a batch that enqueue with `onDuplicate: 'replace'` against the active holders
 * of their unique keys, as core decides (`decideDuplicate`), before the batch's insert: the holders
 * are locked first (a claim, which skips locked rows, cannot take one meanwhile; one that took it
 * before is seen as processing), then a waiting holder is changed (`changeJob`, cause `duplicate`)
 * and answers for the new job through the insert's unique-key conflict, and a started holder gives
 * its key up so that the insert creates the new job.
 */
export async function settleDuplicates(ctx: WriteContext, jobs: readonly NewJob[]): Promise<void> {
  const replacing = jobs.filter((j) => j.onDuplicate === 'replace' && j.uniqueKey !== null);
  if (replacing.length === 0) return;
  const rows = await ctx.db.run(
    `SELECT id, state, unique_key FROM ${ctx.s}.jobs WHERE unique_key = ANY($1::text[]) AND state IN ${ACTIVE_STATES_SQL} ORDER BY id FOR UPDATE`,
    [[...new Set(replacing.map((j) => j.uniqueKey!))]],
  );
  const holders = new Map(rows.map((r) => [r.unique_key as string, { id: r.id as string, state: r.state as JobState }]));
  for (const job of replacing) {
    const holder = holders.get(job.uniqueKey!);
    if (holder === undefined) continue;
    const duplicate = decideDuplicate(holder, job);
    if (duplicate.action === 'replace') await changeJob(ctx, { id: holder.id, change: duplicate.change, cause: 'duplicate' });
    else if (duplicate.action === 'take-over') await ctx.db.run(`UPDATE ${ctx.s}.jobs SET unique_key = NULL WHERE id = $1`, [holder.id]);
    holders.delete(job.uniqueKey!);
  }
}
