import type { Redis } from 'ioredis';

import type {
  DeadLetterGroup,
  DeadLetterRedriveResult,
  DeadLettersGroupsParams,
  DeadLettersListParams,
  DeadLettersListResult,
  DeadLettersRedriveParams,
  DeadLettersRedriveResult,
  ErrorRecord,
  JobState,
  Json,
} from '@spool/core';
import { DEAD_LETTER_REDRIVE_BATCH, StorageError, causeVariant, decideRedrive } from '@spool/core';
import { decodeCursor, encodeCursor } from '@spool/core/storage-kit';

import type { RawHash } from './job-decode.js';
import { decodeJob } from './job-decode.js';
import type { ScriptName } from './scripts/index.js';

/** What the dead letters need of the storage: its scripts, plain reads, its key base, events. */
export interface DeadLettersHost {
  readonly keyBase: string;
  run(name: ScriptName, doing: string, args: ReadonlyArray<string | number>): Promise<unknown>;
  read<T>(doing: string, read: (client: Redis) => Promise<T>): Promise<T>;
  emitPayload(payload: string): void;
}

/**
 * Most dead letters one list script reads. A filter that few dead letters match (a rare message in
 * a large index) is answered in short pages with a cursor instead of one script that reads them all.
 */
export const DEAD_LETTERS_SCAN_BOUND = 2000;

// A decision is stale only when the job moved between the read and the script (another redrive, a
// retry, a delete); read again, it is no longer a dead letter and is refused, so two rounds end it.
const MAX_REDRIVE_ROUNDS = 5;

/** A page of dead letters matching the filter, newest first by id (decision 42). */
export async function listRedisDeadLetters(host: DeadLettersHost, params: DeadLettersListParams): Promise<DeadLettersListResult> {
  const after = decodeCursor(params.cursor) ?? '';
  const filter: Record<string, string | number> = {};
  if (params.name !== undefined) filter.name = params.name;
  if (params.errorName !== undefined) filter.errorName = params.errorName;
  if (params.message !== undefined) filter.message = params.message;
  if (params.from !== undefined) filter.from = params.from.getTime();
  if (params.to !== undefined) filter.to = params.to.getTime();
  const bound = Math.max(DEAD_LETTERS_SCAN_BOUND, params.limit);
  const reply = (await host.run('deadLettersList', 'listing dead letters', [params.limit, after, JSON.stringify(filter), bound])) as [string, ...Array<string | RawHash>];
  const jobs = [];
  for (let i = 1; i < reply.length; i += 2) jobs.push(decodeJob(reply[i] as string, reply[i + 1] as RawHash));
  return { jobs, nextCursor: reply[0] === '' ? null : encodeCursor(reply[0]) };
}

/** The dead letters counted by (job name, error name), the largest groups first. */
export async function redisDeadLetterGroups(host: DeadLettersHost, params: DeadLettersGroupsParams): Promise<DeadLetterGroup[]> {
  if (params.limit <= 0) return [];
  const args = [params.limit, params.name === undefined ? '0' : '1', params.name ?? ''];
  const reply = (await host.run('deadLettersGroups', 'counting dead letters', args)) as string[];
  const groups: DeadLetterGroup[] = [];
  for (let i = 0; i < reply.length; i += 4) {
    groups.push({ name: reply[i]!, errorName: reply[i + 1]!, count: Number(reply[i + 2]), lastAt: new Date(Number(reply[i + 3])) });
  }
  return groups;
}

/** The facts a redrive is decided on, as the job hash stores them; null for a job that does not exist. */
interface StoredRedriveFacts {
  state: JobState;
  deadLetteredAt: string;
  args: string;
  error: string;
}

/**
 * Redrives dead letters on Redis (decision 43): reads each job's facts, asks core (`decideRedrive`)
 * what to write, and runs the script that writes each decision only while the job is still the
 * dead letter it was decided on. A job moved in between (a racing redrive) is read and decided
 * again, and then refused: of two redrives of one job, one moves it. Scripts of at most
 * `DEAD_LETTER_REDRIVE_BATCH` jobs, so none holds Redis long.
 */
export async function redriveRedisDeadLetters(host: DeadLettersHost, params: DeadLettersRedriveParams): Promise<DeadLettersRedriveResult> {
  const results: DeadLetterRedriveResult[] = [];
  for (let from = 0; from < params.redrives.length; from += DEAD_LETTER_REDRIVE_BATCH) {
    results.push(...(await redriveBatch(host, params.redrives.slice(from, from + DEAD_LETTER_REDRIVE_BATCH), params.reason)));
  }
  return { results };
}

async function redriveBatch(host: DeadLettersHost, redrives: DeadLettersRedriveParams['redrives'], reason: string): Promise<DeadLetterRedriveResult[]> {
  const results: Array<DeadLetterRedriveResult | undefined> = redrives.map(() => undefined);
  let pending = redrives.map((_, i) => i);
  for (let round = 0; round < MAX_REDRIVE_ROUNDS && pending.length > 0; round++) {
    const facts = await readFacts(host, pending.map((i) => redrives[i]!.id));
    const written: number[] = [];
    const entries: string[][] = [];
    pending.forEach((index, n) => {
      const redrive = redrives[index]!;
      const stored = facts[n]!;
      if (stored === null) {
        results[index] = { id: redrive.id, ok: false, previous: null };
        return;
      }
      const decision = decideRedrive({
        job: { state: stored.state, deadLetteredAt: stored.deadLetteredAt === '' ? null : Number(stored.deadLetteredAt), args: parsed(stored.args) as Json, error: parsed(stored.error) as ErrorRecord | null },
        ...(redrive.args !== undefined ? { args: redrive.args } : {}),
        reason,
      });
      if (!decision.ok) {
        results[index] = { id: redrive.id, ok: false, previous: stored.state };
        return;
      }
      const { intent } = decision;
      written.push(index);
      entries.push([
        redrive.id,
        stored.deadLetteredAt,
        intent.to,
        causeVariant(intent.cause),
        intent.reason,
        JSON.stringify(intent.data ?? null),
        decision.args === 'keep' ? '0' : '1',
        decision.args === 'keep' ? '' : JSON.stringify(decision.args.set),
      ]);
    });
    pending = [];
    if (entries.length === 0) break;
    const reply = (await host.run('deadLettersRedrive', 'redriving dead letters', [JSON.stringify(entries)])) as string[];
    host.emitPayload(reply[reply.length - 1] ?? '');
    written.forEach((index, n) => {
      if (reply[n] === '1') results[index] = { id: redrives[index]!.id, ok: true, previous: 'failed' };
      else pending.push(index);
    });
  }
  if (pending.length > 0) {
    throw new StorageError(`Redis storage: ${pending.length} dead letters changed ${MAX_REDRIVE_ROUNDS} times while their redrive was decided; the others were written. Try again.`, {
      retryable: true,
    });
  }
  return results as DeadLetterRedriveResult[];
}

/** Reads the redrive facts of many jobs in one round trip. */
async function readFacts(host: DeadLettersHost, ids: string[]): Promise<Array<StoredRedriveFacts | null>> {
  return host.read('redriving dead letters', async (client) => {
    const pipeline = client.pipeline();
    for (const id of ids) pipeline.hmget(`${host.keyBase}job:${id}`, 'state', 'dlAt', 'args', 'error');
    return ((await pipeline.exec()) ?? []).map(([error, value]) => {
      if (error) throw error;
      const v = value as Array<string | null>;
      if (v[0] === null || v[0] === undefined) return null;
      return { state: v[0] as JobState, deadLetteredAt: v[1] ?? '', args: v[2] ?? '', error: v[3] ?? '' };
    });
  });
}

function parsed(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
