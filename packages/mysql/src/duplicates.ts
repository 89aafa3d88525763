import type { JobState, NewJob } from '@spool/core';
import { decideDuplicate } from '@spool/core';

import { changeJob } from './job-updates.js';
import type { WriteContext } from './write-context.js';

/**
 * Settles the jobs of a batch that enqueue with `onDuplicate: 'replace'` against the active holders
 * of their unique keys, as core decides (`decideDuplicate`), before the batch is planned: the
 * holders are locked first (a locking read of the held-key index; a claim, which skips locked
 * rows, cannot take one meanwhile, and one that took it before is seen as processing), then a
 * waiting holder is changed (`changeJob`, cause `duplicate`) and answers for the new job, and a
 * started holder gives its key up so that the new job is created holding it.
 */
export async function settleDuplicates(ctx: WriteContext, jobs: readonly NewJob[]): Promise<void> {
  const replacing = jobs.filter((j) => j.onDuplicate === 'replace' && j.uniqueKey !== null);
  if (replacing.length === 0) return;
  const keys = [...new Set(replacing.map((j) => j.uniqueKey!))];
  const rows = await ctx.db.rows(
    `SELECT id, state, unique_key FROM ${ctx.t.jobs} WHERE unique_hold IN (${keys.map(() => 'UNHEX(SHA2(?, 256))').join(', ')}) ORDER BY id FOR UPDATE`,
    keys,
  );
  // The hash finds the row; the key itself is compared exactly here.
  const holders = new Map(rows.filter((r) => keys.includes(r.unique_key as string)).map((r) => [r.unique_key as string, { id: r.id as string, state: r.state as JobState }]));
  for (const job of replacing) {
    const holder = holders.get(job.uniqueKey!);
    if (holder === undefined) continue;
    const duplicate = decideDuplicate(holder, job);
    if (duplicate.action === 'replace') await changeJob(ctx, { id: holder.id, change: duplicate.change, cause: 'duplicate' });
    else if (duplicate.action === 'take-over') await ctx.db.exec(`UPDATE ${ctx.t.jobs} SET unique_key = NULL WHERE id = ?`, [holder.id]);
    holders.delete(job.uniqueKey!);
  }
}
