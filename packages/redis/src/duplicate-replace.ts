import type { Redis } from 'ioredis';

import type { JobState, NewJob } from '@spool/core';
import { StorageError, decideDuplicate, decideJobChange } from '@spool/core';

import { changeWriteArguments } from './job-change.js';

/** What the replacing create needs of the storage: the script, plain reads, its key base, the clock. */
export interface ReplacingCreateHost {
  readonly keyBase: string;
  runScript(args: ReadonlyArray<string | number>): Promise<unknown>;
  read<T>(doing: string, read: (client: Redis) => Promise<T>): Promise<T>;
  now(): number;
}

// Decisions go stale only when a write lands between the read and the script: a claim of a holder
// (then decided again as a take-over, which a claim cannot undo) or another create of the same key.
const MAX_DECISIONS = 5;

/** Whether a part of a create needs the replacing path: a job that replaces the holder of its key. */
export function replacesDuplicates(jobs: readonly NewJob[]): boolean {
  return jobs.some((job) => job.onDuplicate === 'replace' && job.uniqueKey !== null);
}

/**
 * Creates a part whose jobs replace the holders of their unique keys (decision 41) on Redis: reads
 * each key's holder and its facts, asks core (`decideDuplicate`, then `decideJobChange` for a
 * replace) what to write, and runs the create that writes those decisions only while every holder
 * is still the one read, with the facts read. When one moved (a claim, a change, another create),
 * the script writes nothing and core decides again on a fresh read. Lua decides nothing.
 * Returns the create script's reply.
 */
export async function createReplacing(host: ReplacingCreateHost, jobsJson: string, jobs: readonly NewJob[], later: string): Promise<string[]> {
  // The first job of a key decides against its stored holder; a later one of the same key finds
  // the job the first created or kept, as jobs_create answers any duplicate within a batch.
  const deciding = new Map<string, NewJob>();
  for (const job of jobs) if (job.uniqueKey !== null && !deciding.has(job.uniqueKey)) deciding.set(job.uniqueKey, job);
  for (const [key, job] of [...deciding]) if (job.onDuplicate !== 'replace') deciding.delete(key);
  const keys = [...deciding.keys()];
  for (let round = 0; round < MAX_DECISIONS; round++) {
    const holders = await readHolders(host, keys);
    const now = host.now();
    const duplicates = keys.map((key, i) => {
      const holder = holders[i]!;
      if (holder === null) return [key, '', '', '', '', '', 'keep'];
      const facts = [key, holder.id, holder.state, holder.runAt, holder.prio, holder.queue];
      if (holder.state === '') return [...facts, 'keep'];
      const job = deciding.get(key)!;
      const decision = decideDuplicate({ state: holder.state }, { onDuplicate: job.onDuplicate, args: job.args, runAt: job.runAt === null ? null : new Date(job.runAt) });
      if (decision.action !== 'replace') return [...facts, decision.action];
      const change = decideJobChange({
        job: { state: holder.state, runAt: holder.runAt === '' ? null : Number(holder.runAt), priority: Number(holder.prio), queue: holder.queue },
        change: decision.change,
        now,
        cause: 'duplicate',
      });
      // The holder allows what decideDuplicate asked of it (it read the same state): a refusal here is a bug.
      if (!change.ok) throw new StorageError(`Redis storage: core refused the replace of job ${holder.id} it decided (${change.refused}).`, { retryable: false });
      return [...facts, 'replace', ...changeWriteArguments(change.write)];
    });
    const reply = (await host.runScript([jobsJson, later, JSON.stringify(duplicates)])) as string[];
    if (reply[0] !== 'stale') return reply;
  }
  throw new StorageError(`Redis storage: the holders of unique keys changed ${MAX_DECISIONS} times while a replace was decided; nothing was written. Try again.`, {
    retryable: true,
  });
}

/** A key's holder and the facts of it that the decisions read, as the hash stores them. */
interface StoredHolder {
  id: string;
  /** '' for a holder whose job is gone. */
  state: JobState | '';
  runAt: string;
  prio: string;
  queue: string;
}

/** Reads the holder of each key and its facts (two round trips for the whole part). */
async function readHolders(host: ReplacingCreateHost, keys: string[]): Promise<Array<StoredHolder | null>> {
  if (keys.length === 0) return [];
  return host.read('creating jobs', async (client) => {
    const ids = await client.hmget(`${host.keyBase}unique`, ...keys);
    const pipeline = client.pipeline();
    for (const id of ids) if (id !== null) pipeline.hmget(`${host.keyBase}job:${id}`, 'state', 'runAt', 'prio', 'queue');
    const replies = (await pipeline.exec()) ?? [];
    let n = 0;
    return ids.map((id) => {
      if (id === null) return null;
      const [error, value] = replies[n++]!;
      if (error) throw error;
      const v = value as Array<string | null>;
      // A key whose holder is gone is read as held by '' facts: the script's guard then sees the same.
      return { id, state: (v[0] ?? '') as JobState | '', runAt: v[1] ?? '', prio: v[2] ?? '0', queue: v[3] ?? '' };
    });
  });
}
