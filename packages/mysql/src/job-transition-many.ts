import type { Json, StateChange } from '@spool/core';
import { StateConflictError } from '@spool/core';

import type { EventBatch } from './event-batch.js';
import type { Row } from './executor.js';
import { afterChange, changeSetSql, changeValues } from './job-transition.js';
import { jsonOrNull } from './job-row.js';
import type { WriteContext } from './write-context.js';

/**
 * One job of a change of many: the job, its row as the caller read it with the row locked (the
 * columns the one job's guard reads: queue, unique key, gates, flow, batch, row-held history), the
 * change core decided for it, and its new arguments, if any.
 */
export interface ManyMove {
  id: string;
  row: Row;
  change: StateChange;
  args?: { set: Json };
}

// The change of one job (job-transition.ts) for many at once: the rows, joined by id to a derived
// table of what differs per job (its queue position, its new arguments), take the same assignments.
// The derived table's columns are named apart from the job's, so the assignments read the job's.
const transitionManySql = (jobs: string, count: number): string => `UPDATE ${jobs} JOIN (
  ${Array.from({ length: count }, (_, i) => (i === 0 ? 'SELECT ? AS v_id, ? AS v_seq, ? AS v_args, ? AS v_set_args' : 'SELECT ?, ?, ?, ?')).join(' UNION ALL ')}
) v ON id = v.v_id SET
${changeSetSql('v.v_seq')},
  args = CASE WHEN v.v_set_args THEN v.v_args ELSE args END
WHERE state = ?`;

/**
 * Moves many jobs, each by the change core decided for it, with what each change implies (as
 * `transition` does for one), in one statement per set of changes that write the same columns:
 * changes that differ only in their history entries (a redrive of 500 jobs) are one statement, with
 * one draw of queue positions, in the order of the moves. The caller has locked the rows and read
 * them in `from` (the guard of the one job's change, done for all at once): the statement guards
 * on the state again, and a row it did not change is an error, never a silent skip. The caller
 * makes sure that no change asks for the holder of a unique key to be looked up.
 */
export async function transitionMany(ctx: WriteContext, moves: readonly ManyMove[], events: EventBatch): Promise<void> {
  const groups = new Map<string, ManyMove[]>();
  for (const move of moves) {
    // Everything the statement writes for every job alike; the history entry is the job's own.
    const key = JSON.stringify(changeValues(move.change, false));
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [move]);
    else group.push(move);
  }
  for (const group of groups.values()) {
    const change = group[0]!.change;
    const first = change.queuePosition === 'back' ? await ctx.drawPositions(group.length) : null;
    const perJob = group.flatMap((m, i) => [m.id, first === null ? null : first + i, m.args === undefined ? null : jsonOrNull(m.args.set), m.args !== undefined]);
    const { affectedRows } = await ctx.db.exec(transitionManySql(ctx.t.jobs, group.length), [...perJob, ...changeValues(change, false), change.from]);
    // The rows are locked, so this cannot happen short of a bug; throwing rolls the whole write back.
    if (affectedRows !== group.length) {
      throw new StateConflictError(`Expected ${group.length} locked jobs in state "${change.from}" to change, but ${affectedRows} did; nothing was written. Run the write again.`);
    }
    for (const move of group) await afterChange(ctx, move.id, move.row, move.change, events);
  }
}
