import type { BatchJobsParams, BatchRecord, FlowStorage, FlowsCreateParams, JobRecord, JobsCreateResult, NewJob } from '@spool/core';
import { CapabilityMissingError } from '@spool/core';
import { batchRecordFromRow, checkExistingBatches, decodeCursor, encodeCursor, planFlowCreation, storableNewJobs } from '@spool/core/storage-kit';

import type { Executor } from './executor.js';
import { JOB_SELECT, decodeJob } from './job-row.js';
import { createJobs } from './jobs-create.js';
import type { Tables } from './tables.js';
import type { WriteContext } from './write-context.js';

const BATCH_SELECT = 'id, description, parent_batch_id, total, finished, succeeded, failed, created_at, finished_at, cancelled_at';

/** How {@link MySqlFlows} reaches the database: the storage's transactions and reads. */
export interface MySqlFlowsHost {
  t: Tables;
  write<T>(doing: string, work: (ctx: WriteContext) => Promise<T>): Promise<T>;
  read<T>(doing: string, work: (db: Executor) => Promise<T>): Promise<T>;
}

/** Batches and flows on MySQL and MariaDB (decision 46): creation in one transaction, reads of batches and their jobs. */
export class MySqlFlows implements FlowStorage {
  constructor(private readonly host: MySqlFlowsHost) {}

  async flowsCreate(params: FlowsCreateParams): Promise<JobsCreateResult> {
    if (params.transaction !== undefined && params.transaction !== null) {
      throw new CapabilityMissingError('externalTransactions', 'the mysql storage for batches and flows', 'Creating a batch inside your transaction');
    }
    const jobs = storableNewJobs(params.jobs.map((entry) => entry.job));
    return { jobs: await this.host.write('creating a batch', (ctx) => createFlow(ctx, params, jobs)) };
  }

  async batchGet(params: { id: string }): Promise<BatchRecord | null> {
    const [row] = await this.host.read('reading a batch', (db) => db.rows(`SELECT ${BATCH_SELECT} FROM ${this.host.t.batches} WHERE id = ?`, [params.id]));
    return row === undefined ? null : batchRecordFromRow(row);
  }

  async batchList(params: { limit: number; cursor?: string | null }): Promise<{ batches: BatchRecord[]; nextCursor: string | null }> {
    const after = decodeCursor(params.cursor);
    const rows = await this.host.read('listing batches', (db) =>
      db.rows(`SELECT ${BATCH_SELECT} FROM ${this.host.t.batches} WHERE (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?`, [after, after, params.limit + 1]),
    );
    const page = rows.slice(0, params.limit);
    return { batches: page.map(batchRecordFromRow), nextCursor: rows.length > params.limit ? encodeCursor(page.at(-1)!.id as string) : null };
  }

  async batchJobs(params: BatchJobsParams): Promise<{ jobs: JobRecord[]; nextCursor: string | null }> {
    const after = decodeCursor(params.cursor);
    const state = params.state ?? null;
    const rows = await this.host.read('listing the jobs of a batch', (db) =>
      db.rows(
        `SELECT ${JOB_SELECT} FROM ${this.host.t.jobs} WHERE batch_id = ? AND (? IS NULL OR id < ?) AND (? IS NULL OR state = ?) ORDER BY batch_id DESC, id DESC LIMIT ?`,
        [params.batchId, after, after, state, state, params.limit + 1],
      ),
    );
    const page = rows.slice(0, params.limit);
    return { jobs: page.map(decodeJob), nextCursor: rows.length > params.limit ? encodeCursor(page.at(-1)!.id as string) : null };
  }

  async batchDescendants(params: { id: string }): Promise<string[]> {
    // Level by level: MariaDB 10.2+ and MySQL 8 have recursive CTEs, but a loop reads the same.
    const out: string[] = [];
    let level = [params.id];
    while (level.length > 0) {
      const parents = level;
      const rows = await this.host.read('reading nested batches', (db) => db.rows(`SELECT id FROM ${this.host.t.batches} WHERE parent_batch_id IN (?) ORDER BY id`, [parents]));
      level = rows.map((r) => r.id as string);
      out.push(...level);
    }
    return out;
  }

  async batchCancelMark(params: { id: string }): Promise<boolean> {
    return this.host.write('cancelling a batch', async (ctx) => {
      const { affectedRows } = await ctx.db.exec(`UPDATE ${ctx.t.batches} SET cancelled_at = COALESCE(cancelled_at, ?) WHERE id = ?`, [ctx.now, params.id]);
      if (affectedRows > 0) return true;
      return (await ctx.db.rows(`SELECT 1 AS found FROM ${ctx.t.batches} WHERE id = ?`, [params.id])).length > 0;
    });
  }
}

/** Writes a batch or a flow in the caller's transaction; checks first (existing batches locked), so that a refusal writes nothing. */
async function createFlow(ctx: WriteContext, params: FlowsCreateParams, jobs: NewJob[]): Promise<JobsCreateResult['jobs']> {
  const { added, existing, columns } = planFlowCreation(params);
  if (existing.length > 0) {
    const rows = await ctx.db.rows(`SELECT id, finished_at FROM ${ctx.t.batches} WHERE id IN (?) ORDER BY id FOR UPDATE`, [existing]);
    checkExistingBatches(existing, new Map(rows.map((r) => [r.id as string, r.finished_at])));
  }
  if (params.batches.length > 0) {
    await ctx.db.exec(`INSERT INTO ${ctx.t.batches} (id, description, parent_batch_id, total, created_at) VALUES ?`, [
      params.batches.map((b) => [b.id, b.description, b.parentBatchId, added.get(b.id) ?? 0, ctx.now]),
    ]);
  }
  for (const id of existing) await ctx.db.exec(`UPDATE ${ctx.t.batches} SET total = total + ? WHERE id = ?`, [added.get(id)!, id]);
  for (let i = 0; i < params.dependencies.length; i += 1000) {
    await ctx.db.exec(`INSERT INTO ${ctx.t.dependencies} (parent_id, child_id, parent_kind, policy) VALUES ?`, [
      params.dependencies.slice(i, i + 1000).map((d) => [d.parentId, d.childId, d.parentKind, d.policy]),
    ]);
  }
  // A batch is an enqueue like any other: refused whole when it does not fit its bounded queues.
  return createJobs(ctx, jobs, undefined, true, columns);
}
