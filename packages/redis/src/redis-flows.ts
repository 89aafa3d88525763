import { randomBytes } from 'node:crypto';

import type { BatchJobsParams, BatchRecord, FlowStorage, FlowsCreateParams, JobRecord, JobState, JobsCreateResult, NewJob } from '@spool/core';
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
  /** Most jobs one creation script takes (the storage's `MAX_JOBS_PER_SCRIPT`): a script holds every other client of Redis. */
  maxJobsPerScript: number;
}

/**
 * Batches and flows on Redis (decisions 46 and 48): a creation commits in one script, all or nothing; the
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
    // Waiting jobs first: every child then exists before any job of the creation can run, so no
    // parent settles an edge whose child is still to be created (decision 48).
    const order = jobs.map((_, i) => i).sort((a, b) => Number(columns.get(jobs[b]!.id)!.pending > 0) - Number(columns.get(jobs[a]!.id)!.pending > 0) || a - b);
    const parts: number[][] = [];
    const size = this.host.maxJobsPerScript;
    for (let from = 0; from < order.length; from += size) parts.push(order.slice(from, from + size));
    const [first = [], ...later] = parts;
    const part = (indices: number[]) => {
      const partJobs = indices.map((i) => jobs[i]!);
      const flowColumns = partJobs.map((job) => {
        const c = columns.get(job.id)!;
        return [String(c.flow), c.batchId ?? '', String(c.pending)];
      });
      return [this.host.jobsJson(partJobs), JSON.stringify(flowColumns)] as const;
    };
    // A creation larger than one script sends its later parts ahead, kept aside where nothing sees
    // them, then commits in one script that creates the first part and takes the others in.
    const creation = later.length === 0 ? '' : randomBytes(12).toString('hex');
    for (const indices of later) await this.host.run('flowsStage', 'creating a batch', [creation, ...part(indices)]);
    const [firstJobs, firstColumns] = part(first);
    const reply = (await this.host.run('flowsCreate', 'creating a batch', [
      firstJobs,
      JSON.stringify(params.batches.map((b) => [b.id, b.description === null ? '0' : '1', b.description ?? '', b.parentBatchId ?? '', String(added.get(b.id) ?? 0)])),
      JSON.stringify(existing.map((id) => [id, String(added.get(id)!)])),
      JSON.stringify(params.dependencies.map((d) => [d.childId, d.parentId, d.policy])),
      firstColumns,
      creation,
      later.length,
      JSON.stringify(enqueuedPerQueue(later.flat().map((i) => jobs[i]!))),
    ])) as string[];
    this.host.emitPayload(reply[reply.length - 1]);
    // Each job's state as created; a part that the storage's maintenance created first answers
    // nothing here, and its jobs were created in the state they were given.
    const states = new Map<string, JobState>(jobs.map((job) => [job.id, job.state]));
    const note = (r: string[], from: number, count: number) => {
      for (let i = 0; i < count; i++) states.set(r[from + i * 3]!, r[from + i * 3 + 2] as JobState);
    };
    note(reply, 0, first.length);
    if (creation !== '') {
      // Committed: the rest is created part by part; if this process stops, maintenance goes on.
      for (;;) {
        const next = (await this.host.run('flowsCreatePart', 'creating a batch', [creation])) as string[];
        this.host.emitPayload(next[next.length - 1]);
        if (next[0] !== '1') break;
        note(next, 1, (next.length - 2) / 3);
      }
    }
    return { jobs: jobs.map((job) => ({ id: job.id, created: true, state: states.get(job.id)! })) };
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

/** The jobs created enqueued, per queue: what a bounded queue's check counts ahead for the staged parts. */
function enqueuedPerQueue(jobs: readonly NewJob[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const job of jobs) if (job.state === 'enqueued') counts[job.queue] = (counts[job.queue] ?? 0) + 1;
  return counts;
}
