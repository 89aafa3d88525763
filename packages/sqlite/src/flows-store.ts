import type { BatchJobsParams, BatchRecord, FlowStorage, FlowsCreateParams, JobRecord, JobsCreateResult } from '@spool/core';
import { CapabilityMissingError } from '@spool/core';
import { batchRecordFromRow, checkExistingBatches, decodeCursor, encodeCursor, planFlowCreation, storableNewJobs } from '@spool/core/storage-kit';

import type { JobValues } from './job-row.js';
import { COL, JOB_SELECT, decodeJob } from './job-row.js';
import { createJobs } from './jobs-create.js';
import { InsertShape, RowInserter } from './row-inserter.js';
import type { SqliteConnection } from './sqlite-connection.js';
import type { WriteContext } from './write-context.js';

const BATCHES = new InsertShape('spool_batches', ['id', 'description', 'parent_batch_id', 'total', 'created_at']);
const DEPENDENCIES = new InsertShape('spool_dependencies', ['parent_id', 'child_id', 'parent_kind', 'policy']);
const BATCH_SELECT = 'id, description, parent_batch_id, total, finished, succeeded, failed, created_at, finished_at, cancelled_at';

type BatchRow = Record<string, unknown>;

/** How {@link SqliteFlows} reaches the database: the storage's write transaction and its connection. */
export interface SqliteFlowsHost {
  write<T>(doing: string, work: (ctx: WriteContext) => T): Promise<T>;
  connection(): Promise<SqliteConnection>;
}

/** Batches and flows on SQLite (decision 46): creation in one `BEGIN IMMEDIATE`, reads of batches and their jobs. */
export class SqliteFlows implements FlowStorage {
  constructor(private readonly host: SqliteFlowsHost) {}

  async flowsCreate(params: FlowsCreateParams): Promise<JobsCreateResult> {
    if (params.transaction !== undefined && params.transaction !== null) {
      throw new CapabilityMissingError('externalTransactions', 'the sqlite storage for batches and flows', 'Creating a batch inside your transaction');
    }
    const jobs = storableNewJobs(params.jobs.map((entry) => entry.job));
    return { jobs: await this.host.write('creating a batch', (ctx) => createFlow(ctx, params, jobs)) };
  }

  async batchGet(params: { id: string }): Promise<BatchRecord | null> {
    const conn = await this.host.connection();
    const row = await conn.attempt('reading a batch', () => conn.stmt(`SELECT ${BATCH_SELECT} FROM spool_batches WHERE id = ?`).get(params.id) as BatchRow | undefined);
    return row === undefined ? null : batchRecordFromRow(row);
  }

  async batchList(params: { limit: number; cursor?: string | null }): Promise<{ batches: BatchRecord[]; nextCursor: string | null }> {
    const conn = await this.host.connection();
    const after = decodeCursor(params.cursor);
    const rows = (await conn.attempt('listing batches', () =>
      conn.stmt(`SELECT ${BATCH_SELECT} FROM spool_batches WHERE (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?`).all(after, after, params.limit + 1),
    )) as BatchRow[];
    const page = rows.slice(0, params.limit);
    return { batches: page.map(batchRecordFromRow), nextCursor: rows.length > params.limit ? encodeCursor(page.at(-1)!.id as string) : null };
  }

  async batchJobs(params: BatchJobsParams): Promise<{ jobs: JobRecord[]; nextCursor: string | null }> {
    const conn = await this.host.connection();
    const after = decodeCursor(params.cursor);
    const rows = (await conn.attempt('listing the jobs of a batch', () =>
      conn
        .raw(
          `SELECT ${JOB_SELECT} FROM spool_jobs INDEXED BY spool_jobs_batch
           WHERE batch_id = ? AND (? IS NULL OR id < ?) AND (? IS NULL OR state = ?) ORDER BY batch_id DESC, id DESC LIMIT ?`,
        )
        .all(params.batchId, after, after, params.state ?? null, params.state ?? null, params.limit + 1),
    )) as JobValues[];
    const page = rows.slice(0, params.limit);
    return { jobs: page.map(decodeJob), nextCursor: rows.length > params.limit ? encodeCursor(page.at(-1)![COL.id] as string) : null };
  }

  async batchDescendants(params: { id: string }): Promise<string[]> {
    const conn = await this.host.connection();
    return (await conn.attempt('reading nested batches', () =>
      conn
        .pluck(
          `WITH RECURSIVE nested(id) AS (SELECT id FROM spool_batches WHERE parent_batch_id = ?
             UNION ALL SELECT b.id FROM spool_batches b JOIN nested n ON b.parent_batch_id = n.id)
           SELECT id FROM nested`,
        )
        .all(params.id),
    )) as string[];
  }

  async batchCancelMark(params: { id: string }): Promise<boolean> {
    return this.host.write('cancelling a batch', (ctx) => ctx.conn.stmt('UPDATE spool_batches SET cancelled_at = coalesce(cancelled_at, ?) WHERE id = ?').run(ctx.now, params.id).changes > 0);
  }
}

/** Writes a batch or a flow in the caller's transaction; checks first, so that a refusal writes nothing. */
function createFlow(ctx: WriteContext, params: FlowsCreateParams, jobs: FlowsCreateParams['jobs'][number]['job'][]): JobsCreateResult['jobs'] {
  const { conn, now } = ctx;
  const { added, existing, columns } = planFlowCreation(params);
  const read = conn.stmt('SELECT id, finished_at FROM spool_batches WHERE id = ?');
  const found = existing.flatMap((id) => (read.all(id) as Array<{ id: string; finished_at: number | null }>).map((r) => [r.id, r.finished_at] as const));
  checkExistingBatches(existing, new Map(found));
  const batches = new RowInserter(conn, BATCHES);
  for (const batch of params.batches) batches.add(batch.id, batch.description, batch.parentBatchId, added.get(batch.id) ?? 0, now);
  batches.flush();
  const grow = conn.stmt('UPDATE spool_batches SET total = total + ? WHERE id = ?');
  for (const batchId of existing) grow.run(added.get(batchId)!, batchId);
  const dependencies = new RowInserter(conn, DEPENDENCIES);
  for (const d of params.dependencies) dependencies.add(d.parentId, d.childId, d.parentKind, d.policy);
  dependencies.flush();
  return createJobs(ctx, jobs, params.jobs.map((entry) => columns.get(entry.job.id)!));
}
