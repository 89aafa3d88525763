import type { BatchJobsParams, BatchRecord, FlowStorage, FlowsCreateParams, JobRecord, JobsCreateResult, NewJob } from '@spool/core';
import { CapabilityMissingError } from '@spool/core';
import { batchRecordFromRow, checkExistingBatches, decodeCursor, encodeCursor, planFlowCreation, storableNewJobs } from '@spool/core/storage-kit';

import type { Executor } from './executor.js';
import { JOB_SELECT, decodeJob } from './job-row.js';
import { createJobs } from './jobs-create.js';
import type { WriteContext } from './write-context.js';

const BATCH_SELECT = 'id, description, parent_batch_id, total, finished, succeeded, failed, created_at, finished_at, cancelled_at';

/** How {@link PostgresFlows} reaches the database: the storage's transactions and reads. */
export interface PostgresFlowsHost {
  s: string;
  write<T>(doing: string, work: (ctx: WriteContext) => Promise<T>): Promise<T>;
  read<T>(doing: string, work: (db: Executor) => Promise<T>): Promise<T>;
}

/** Batches and flows on PostgreSQL (decision 46): creation in one transaction, reads of batches and their jobs. */
export class PostgresFlows implements FlowStorage {
  constructor(private readonly host: PostgresFlowsHost) {}

  async flowsCreate(params: FlowsCreateParams): Promise<JobsCreateResult> {
    if (params.transaction !== undefined && params.transaction !== null) {
      throw new CapabilityMissingError('externalTransactions', 'the postgres storage for batches and flows', 'Creating a batch inside your transaction');
    }
    const jobs = storableNewJobs(params.jobs.map((entry) => entry.job));
    return { jobs: await this.host.write('creating a batch', (ctx) => createFlow(ctx, params, jobs)) };
  }

  async batchGet(params: { id: string }): Promise<BatchRecord | null> {
    const [row] = await this.host.read('reading a batch', (db) => db.run(`SELECT ${BATCH_SELECT} FROM ${this.host.s}.batches WHERE id = $1`, [params.id]));
    return row === undefined ? null : batchRecordFromRow(row);
  }

  async batchList(params: { limit: number; cursor?: string | null }): Promise<{ batches: BatchRecord[]; nextCursor: string | null }> {
    const after = decodeCursor(params.cursor);
    const rows = await this.host.read('listing batches', (db) =>
      db.run(`SELECT ${BATCH_SELECT} FROM ${this.host.s}.batches WHERE ($1::text IS NULL OR id < $1::text) ORDER BY id DESC LIMIT $2`, [after, params.limit + 1]),
    );
    const page = rows.slice(0, params.limit);
    return { batches: page.map(batchRecordFromRow), nextCursor: rows.length > params.limit ? encodeCursor(page.at(-1)!.id as string) : null };
  }

  async batchJobs(params: BatchJobsParams): Promise<{ jobs: JobRecord[]; nextCursor: string | null }> {
    const after = decodeCursor(params.cursor);
    const rows = await this.host.read('listing the jobs of a batch', (db) =>
      db.run(
        `SELECT ${JOB_SELECT} FROM ${this.host.s}.jobs WHERE batch_id = $1 AND ($2::text IS NULL OR id < $2::text) AND ($3::text IS NULL OR state = $3::text)
         ORDER BY batch_id DESC, id DESC LIMIT $4`,
        [params.batchId, after, params.state ?? null, params.limit + 1],
      ),
    );
    const page = rows.slice(0, params.limit);
    return { jobs: page.map(decodeJob), nextCursor: rows.length > params.limit ? encodeCursor(page.at(-1)!.id as string) : null };
  }

  async batchDescendants(params: { id: string }): Promise<string[]> {
    const rows = await this.host.read('reading nested batches', (db) =>
      db.run(
        `WITH RECURSIVE nested(id) AS (SELECT id FROM ${this.host.s}.batches WHERE parent_batch_id = $1
           UNION ALL SELECT b.id FROM ${this.host.s}.batches b JOIN nested n ON b.parent_batch_id = n.id)
         SELECT id FROM nested`,
        [params.id],
      ),
    );
    return rows.map((r) => r.id as string);
  }

  async batchCancelMark(params: { id: string }): Promise<boolean> {
    return this.host.write('cancelling a batch', async (ctx) => {
      const rows = await ctx.db.run(`UPDATE ${ctx.s}.batches SET cancelled_at = coalesce(cancelled_at, $1) WHERE id = $2 RETURNING id`, [ctx.now, params.id]);
      return rows.length > 0;
    });
  }
}

/**
 * Writes a batch or a flow in the caller's transaction; checks first, so that a refusal writes
 * nothing. Existing batches that gain members are locked (and checked unfinished) before their
 * totals grow, so a batch cannot finish between the check and the commit.
 */
async function createFlow(ctx: WriteContext, params: FlowsCreateParams, jobs: NewJob[]): Promise<JobsCreateResult['jobs']> {
  const { added, existing, columns } = planFlowCreation(params);
  if (existing.length > 0) {
    const rows = await ctx.db.run(`SELECT id, finished_at FROM ${ctx.s}.batches WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, [existing]);
    checkExistingBatches(existing, new Map(rows.map((r) => [r.id as string, r.finished_at])));
  }
  if (params.batches.length > 0) {
    const b = params.batches;
    await ctx.db.run(
      `INSERT INTO ${ctx.s}.batches (id, description, parent_batch_id, total, created_at)
       SELECT * , $5::bigint FROM unnest($1::text[], $2::text[], $3::text[], $4::int[])`,
      [b.map((x) => x.id), b.map((x) => x.description), b.map((x) => x.parentBatchId), b.map((x) => added.get(x.id) ?? 0), ctx.now],
    );
  }
  if (existing.length > 0) {
    await ctx.db.run(`UPDATE ${ctx.s}.batches b SET total = b.total + g.n FROM unnest($1::text[], $2::int[]) AS g(id, n) WHERE b.id = g.id`, [existing, existing.map((id) => added.get(id)!)]);
  }
  if (params.dependencies.length > 0) {
    const d = params.dependencies;
    await ctx.db.run(`INSERT INTO ${ctx.s}.dependencies (parent_id, child_id, parent_kind, policy) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])`, [
      d.map((x) => x.parentId),
      d.map((x) => x.childId),
      d.map((x) => x.parentKind),
      d.map((x) => x.policy),
    ]);
  }
  // A batch is an enqueue like any other: refused whole when it does not fit its bounded queues.
  return createJobs(ctx, jobs, false, true, params.jobs.map((entry) => columns.get(entry.job.id)!));
}
