import type { BatchJobsParams, BatchRecord, FlowStorage, FlowsCreateParams, JobRecord, JobState, JobsCreateResult } from '@spool/core';
import { CapabilityMissingError } from '@spool/core';
import { decodeCursor, encodeCursor, planFlowCreation, storableNewJobs } from '@spool/core/storage-kit';

import type { RawHash } from './job-decode.js';
import { decodeJob } from './job-decode.js';
import { LIST_SCAN_BUDGET } from './redis-monitoring.js';
import type { ScriptName } from './scripts/index.js';

/** How {@link RedisFlows} reaches Redis: the storage's scripts, the job entries of its create script, its events. */
export interface RedisFlowsHost {
  run(name: ScriptName, doing: string, args: ReadonlyArray<string | number>): Promise<unknown>;
  jobsJson(jobs: FlowsCreateParams['jobs'][number]['job'][]): string;
  emitPayload(payload: string | undefined): void;
}

/**
 * Batches and flows on Redis (decisions 46 and 48): a creation is one script, all or nothing; the
 * counters and edges are settled by the members' and parents' own change scripts (flows-lib.lua.ts).
 */
export class RedisFlows implements FlowStorage {
  constructor(private readonly host: RedisFlowsHost) {}

  async flowsCreate(params: FlowsCreateParams): Promise<JobsCreateResult> {
    if (params.transaction !== undefined && params.transaction !== null) {
      throw new CapabilityMissingError('externalTransactions', 'the Redis storage', 'Creating a batch inside your transaction');
    }
    const { added, existing, columns } = planFlowCreation(params);
    const jobs = storableNewJobs(params.jobs.map((entry) => entry.job));
    // One script for the whole creation, however large: parts would each be atomic, the creation
    // not (decision 48 weighs this against the time a large batch holds Redis).
    const reply = (await this.host.run('flowsCreate', 'creating a batch', [
      this.host.jobsJson(jobs),
      JSON.stringify(params.batches.map((b) => [b.id, b.description === null ? '0' : '1', b.description ?? '', b.parentBatchId ?? '', String(added.get(b.id) ?? 0)])),
      JSON.stringify(existing.map((id) => [id, String(added.get(id)!)])),
      JSON.stringify(params.dependencies.map((d) => [d.childId, d.parentId, d.policy])),
      JSON.stringify(
        params.jobs.map((entry) => {
          const c = columns.get(entry.job.id)!;
          return [String(c.flow), c.batchId ?? '', String(c.pending)];
        }),
      ),
    ])) as string[];
    this.host.emitPayload(reply[reply.length - 1]);
    const results: JobsCreateResult['jobs'] = [];
    for (let i = 0; i < jobs.length; i++) results.push({ id: reply[i * 3]!, created: reply[i * 3 + 1] === '1', state: reply[i * 3 + 2] as JobState });
    return { jobs: results };
  }

  async batchGet(params: { id: string }): Promise<BatchRecord | null> {
    const raw = (await this.host.run('batchGet', 'reading a batch', [params.id])) as RawHash;
    return raw.length === 0 ? null : decodeBatch(params.id, raw);
  }

  async batchList(params: { limit: number; cursor?: string | null }): Promise<{ batches: BatchRecord[]; nextCursor: string | null }> {
    const after = decodeCursor(params.cursor);
    const reply = (await this.host.run('batchList', 'listing batches', [after ?? '', params.limit + 1])) as Array<string | RawHash>;
    const batches: BatchRecord[] = [];
    for (let i = 0; i < reply.length; i += 2) batches.push(decodeBatch(reply[i] as string, reply[i + 1] as RawHash));
    const page = batches.slice(0, params.limit);
    return { batches: page, nextCursor: batches.length > params.limit ? encodeCursor(page.at(-1)!.id) : null };
  }

  async batchJobs(params: BatchJobsParams): Promise<{ jobs: JobRecord[]; nextCursor: string | null }> {
    const after = decodeCursor(params.cursor);
    const reply = (await this.host.run('batchJobs', 'listing the jobs of a batch', [
      params.batchId,
      after ?? '',
      params.limit + 1,
      params.state ?? '',
      LIST_SCAN_BUDGET,
    ])) as [string, ...Array<string | RawHash>];
    const jobs: JobRecord[] = [];
    for (let i = 1; i < reply.length; i += 2) jobs.push(decodeJob(reply[i] as string, reply[i + 1] as RawHash));
    const page = jobs.slice(0, params.limit);
    if (jobs.length > params.limit) return { jobs: page, nextCursor: encodeCursor(page.at(-1)!.id) };
    // The scan stopped at its budget: the next page goes on from the last member it looked at.
    return { jobs: page, nextCursor: reply[0] === '' ? null : encodeCursor(reply[0]) };
  }

  async batchDescendants(params: { id: string }): Promise<string[]> {
    return (await this.host.run('batchDescendants', 'reading nested batches', [params.id])) as string[];
  }

  async batchCancelMark(params: { id: string }): Promise<boolean> {
    return Number(await this.host.run('batchCancelMark', 'cancelling a batch', [params.id])) === 1;
  }
}

function decodeBatch(id: string, raw: RawHash): BatchRecord {
  const f: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) f[raw[i]!] = raw[i + 1]!;
  const time = (v: string | undefined): Date | null => (v === undefined || v === '' ? null : new Date(Number(v)));
  return {
    id,
    description: f.desc ?? null,
    parentBatchId: f.parent === undefined || f.parent === '' ? null : f.parent,
    total: Number(f.total ?? 0),
    finished: Number(f.finished ?? 0),
    succeeded: Number(f.succeeded ?? 0),
    failed: Number(f.failed ?? 0),
    createdAt: time(f.created)!,
    finishedAt: time(f.finishedAt),
    cancelledAt: time(f.cancelledAt),
  };
}
