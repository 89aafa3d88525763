import type { Json, StateChange } from '@spool/core';

import type { EventBatch } from './event-batch.js';
import { spillSql } from './history-tail.js';
import { afterChange, changeSetSql, changeValues, transitionReturningSql } from './job-transition.js';
import { jsonOrNull } from './job-row.js';
import { inState } from './state-guard.js';
import type { WriteContext } from './write-context.js';

/** One job of a change of many: the job, the change core decided for it, and its new arguments, if any. */
export interface ManyMove {
  id: string;
  change: StateChange;
  args?: { set: Json };
}

// The change of one job (job-transition.ts) for many jobs at once: the same guard (state, and the
// lease when given) selects and locks the rows, the same assignments write the decided change, and
// the queue positions are drawn in the order of the moves, so the jobs keep that order in their
// queue. Arguments are replaced where a move brings new ones ($26, $27).
const transitionManySql = (s: string): string => `WITH input AS (
  SELECT * FROM unnest($1::text[], $26::text[], $27::boolean[]) WITH ORDINALITY AS u(id, args, set_args, ord)
), o AS (
  SELECT id AS job_id, tail AS held FROM ${s}.jobs
  WHERE id = ANY($1::text[]) AND ${inState('state', '$4')} AND ($5::text IS NULL OR lease_token = $5::text) ORDER BY id FOR UPDATE
), spilled AS (
  ${spillSql(s, 'ANY(ARRAY(SELECT job_id FROM o WHERE held <> 0))')}
), placed AS (
  SELECT o.job_id AS placed_id, input.args AS new_args, input.set_args, CASE WHEN $16::boolean THEN nextval('${s}.enqueue_seq') END AS position
  FROM o JOIN input ON input.id = o.job_id ORDER BY input.ord
)
UPDATE ${s}.jobs SET
  ${changeSetSql('placed.position')},
  args = CASE WHEN placed.set_args THEN placed.new_args ELSE args END
FROM o JOIN placed ON placed.placed_id = o.job_id WHERE id = o.job_id
RETURNING ${transitionReturningSql(s)}`;

/**
 * Moves many jobs, each by the change core decided for it, with what each change implies (as
 * {@link transition} does for one), in one statement per set of changes that write the same columns:
 * changes that differ only in their history entries (a redrive of 500 jobs) are one statement. The
 * caller makes sure that no change asks for the holder of a unique key to be looked up (the one
 * job's transition does that). Returns the ids of the jobs moved: a job no longer in its change's
 * `from` is left as it is.
 */
export async function transitionMany(ctx: WriteContext, moves: readonly ManyMove[], events: EventBatch): Promise<Set<string>> {
  const groups = new Map<string, ManyMove[]>();
  for (const move of moves) {
    // Everything the statement writes for every job alike; the history entry is the job's own.
    const key = JSON.stringify(changeValues([], move.change, null, false));
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [move]);
    else group.push(move);
  }
  const moved = new Set<string>();
  for (const group of groups.values()) {
    const ids = group.map((m) => m.id);
    const args = group.map((m) => (m.args === undefined ? null : jsonOrNull(m.args.set)));
    const setArgs = group.map((m) => m.args !== undefined);
    const rows = await ctx.db.run(transitionManySql(ctx.s), [...changeValues(ids, group[0]!.change, null, false), args, setArgs]);
    const byId = new Map(group.map((m) => [m.id, m]));
    for (const row of rows) {
      const move = byId.get(row.id as string)!;
      await afterChange(ctx, row, move.change, events, true);
      moved.add(move.id);
    }
  }
  return moved;
}
