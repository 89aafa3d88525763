import type { BatchJobsParams, BatchRecord, FlowStorage, FlowsCreateParams, JobRecord, JobsCreateResult } from '@spool/core';
import { BatchFinishedError, BatchNotFoundError, CapabilityMissingError, FlowInvalidError } from '@spool/core';
import { decodeCursor, encodeCursor, storableNewJobs } from '@spool/core/storage-kit';

import type { JobValues } from './job-row.js';
import { COL, JOB_SELECT, decodeJob } from './job-row.js';
import type { FlowColumns } from './jobs-create.js';
import { FLOW_MEMBER, FLOW_PARENT, createJobs } from './jobs-create.js';
import { InsertShape, RowInserter } from './row-inserter.js';
import type { SqliteConnection } from './sqlite-connection.js';
import type { WriteContext } from './write-context.js';

const BATCHES = new InsertShape('spool_batches', ['id', 'description', 'parent_batch_id', 'total', 'created_at']);
const DEPENDENCIES = new InsertShape('spool_dependencies', ['parent_id', 'child_id', 'parent_kind', 'policy']);
const BATCH_SELECT = `id, description, parent_batch_id AS parentBatchId, total, finished, succeeded, failed, created_at AS createdAt, finished_at AS finishedAt, cancelled_at AS cancelledAt`;

interface BatchRow {
  id: string;
  description: string | null;
  parentBatchId: string | null;
  total: number;
  finished: number;
  succeeded: number;
  failed: number;
  createdAt: number;
  finishedAt: number | null;
  cancelledAt: number | null;
}

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
    return row === undefined ? null : toBatchRecord(row);
  }

  async batchList(params: { limit: number; cursor?: string | null }): Promise<{ batches: BatchRecord[]; nextCursor: string | null }> {
    const conn = await this.host.connection();
    const after = decodeCursor(params.cursor);
    const rows = (await conn.attempt('listing batches', () =>
      conn.stmt(`SELECT ${BATCH_SELECT} FROM spool_batches WHERE (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?`).all(after, after, params.limit + 1),
    )) as BatchRow[];
    const page = rows.slice(0, params.limit);
    return { batches: page.map(toBatchRecord), nextCursor: rows.length > params.limit ? encodeCursor(page.at(-1)!.id) : null };
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
  const created = new Set(params.batches.map((b) => b.id));
  const added = new Map<string, number>();
  const member = (batchId: string): void => {
    if (!created.has(batchId) && !added.has(batchId)) {
      const row = conn.stmt('SELECT finished_at AS finishedAt FROM spool_batches WHERE id = ?').get(batchId) as { finishedAt: number | null } | undefined;
      if (row === undefined) throw new BatchNotFoundError(batchId);
      if (row.finishedAt !== null) throw new BatchFinishedError(batchId);
    }
    added.set(batchId, (added.get(batchId) ?? 0) + 1);
  };
  for (const batch of params.batches) if (batch.parentBatchId !== null) member(batch.parentBatchId);
  for (const entry of params.jobs) if (entry.batchId !== null) member(entry.batchId);
  const jobIds = new Set(params.jobs.map((entry) => entry.job.id));
  const problems = params.dependencies.flatMap((d) =>
    !jobIds.has(d.childId) || !(d.parentKind === 'job' ? jobIds.has(d.parentId) : created.has(d.parentId)) ? [`dependency ${d.childId} on ${d.parentKind} ${d.parentId} is not within this creation`] : [],
  );
  if (problems.length > 0) throw new FlowInvalidError(problems);

  const batches = new RowInserter(conn, BATCHES);
  for (const batch of params.batches) batches.add(batch.id, batch.description, batch.parentBatchId, added.get(batch.id) ?? 0, now);
  batches.flush();
  const grow = conn.stmt('UPDATE spool_batches SET total = total + ? WHERE id = ?');
  for (const [batchId, count] of added) if (!created.has(batchId)) grow.run(count, batchId);
  const pending = new Map<string, number>();
  const dependencies = new RowInserter(conn, DEPENDENCIES);
  for (const d of params.dependencies) {
    pending.set(d.childId, (pending.get(d.childId) ?? 0) + 1);
    dependencies.add(d.parentId, d.childId, d.parentKind, d.policy);
  }
  dependencies.flush();
  const columns: FlowColumns[] = params.jobs.map((entry) => ({
    flow: (entry.batchId !== null ? FLOW_MEMBER : 0) | (entry.hasDependents ? FLOW_PARENT : 0),
    batchId: entry.batchId,
    pending: pending.get(entry.job.id) ?? 0,
  }));
  return createJobs(ctx, jobs, columns);
}

function toBatchRecord(row: BatchRow): BatchRecord {
  return {
    id: row.id,
    description: row.description,
    parentBatchId: row.parentBatchId,
    total: row.total,
    finished: row.finished,
    succeeded: row.succeeded,
    failed: row.failed,
    createdAt: new Date(row.createdAt),
    finishedAt: row.finishedAt === null ? null : new Date(row.finishedAt),
    cancelledAt: row.cancelledAt === null ? null : new Date(row.cancelledAt),
  };
}
