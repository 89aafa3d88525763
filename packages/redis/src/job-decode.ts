import type {
  BackoffSpec,
  ContinuationOn,
  ErrorRecord,
  FetchedJob,
  HistoryRecord,
  JobRecord,
  JobState,
  Json,
  LogLevel,
  LogRecord,
  RecurringRecord,
  MisfirePolicy,
  ServerRecord,
} from '@spool/core';
import { StorageError, claimIntent } from '@spool/core';
import { decodeRecurringSettings } from '@spool/core/storage-kit';

/** A hash as Redis returns it from HGETALL: field, value, field, value... */
export type RawHash = string[];

function num(value: string | undefined): number | null {
  return value === undefined || value === '' ? null : Number(value);
}

function date(value: string | undefined): Date | null {
  return value === undefined || value === '' ? null : new Date(Number(value));
}

function str(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

/**
 * Decodes a job hash into a record. Never throws: a JSON field that cannot be parsed is left empty
 * and named in `decodeError`, so the server fails that one job instead of the whole fetch.
 */
export function decodeJob(id: string, raw: RawHash): JobRecord {
  const f: Record<string, string> = {};
  const parameters: Record<string, Json> = {};
  let problems: string[] | null = null;
  const parse = <T>(field: string, text: string | undefined, fallback: T): T => {
    if (text === undefined || text === '') return fallback;
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      (problems ??= []).push(`field "${field}" holds invalid JSON (${error instanceof Error ? error.message : String(error)})`);
      return fallback;
    }
  };
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.startsWith('p:')) parameters[key.slice(2)] = parse<Json>(key, raw[i + 1], null);
    else f[key] = raw[i + 1]!;
  }
  const job: JobRecord = {
    id,
    name: f.name ?? '',
    args: parse<Json>('args', f.args, null),
    queue: f.queue ?? '',
    priority: Number(f.prio ?? 0),
    state: f.state as JobState,
    attempt: Number(f.attempt ?? 0),
    maxAttempts: Number(f.maxAtt ?? 0),
    rescues: Number(f.rescues ?? 0),
    runAt: date(f.runAt),
    createdAt: new Date(Number(f.created)),
    updatedAt: new Date(Number(f.updated)),
    startedAt: date(f.started),
    finishedAt: date(f.finished),
    expiresAt: date(f.expires),
    timeoutMs: num(f.timeout),
    retentionMs: num(f.retention),
    backoff: parse<BackoffSpec | null>('backoff', f.backoff, null),
    uniqueKey: str(f.ukey),
    parentId: str(f.parent),
    continueOn: str(f.on) as ContinuationOn | null,
    recurringId: str(f.recurring),
    serverId: str(f.server),
    leaseExpiresAt: date(f.leaseExp),
    progress: num(f.progress),
    result: parse<Json>('result', f.result, null),
    error: parse<ErrorRecord | null>('error', f.error, null),
    deadLetteredAt: date(f.dlAt),
    parameters,
  };
  if (problems !== null) job.decodeError = (problems as string[]).join('; ');
  return job;
}

/** Decodes a job hash read just before a lease was written (without the fields the lease rewrites), applying what the lease changed. */
export function decodeLeased(id: string, raw: RawHash, lease: { token: string; serverId: string; now: number; leaseMs: number }): FetchedJob {
  const job = decodeJob(id, raw) as FetchedJob;
  job.state = 'processing';
  job.attempt += 1;
  job.leaseToken = lease.token;
  job.serverId = lease.serverId;
  job.leaseExpiresAt = new Date(lease.now + lease.leaseMs);
  job.startedAt = new Date(lease.now);
  job.updatedAt = new Date(lease.now);
  return job;
}

/** The value of one field of a raw hash. */
export function field(raw: RawHash, name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i] === name) return raw[i + 1];
  return undefined;
}

/** The states of the packed history entries `<code><at> <reason>` (see the history layout in lib.lua.ts). */
const STATE_OF_CODE: Readonly<Record<string, JobState>> = {
  S: 'succeeded',
  F: 'failed',
  E: 'enqueued',
  C: 'scheduled',
  D: 'deleted',
  A: 'awaiting',
};

const LEASE_ENTRY = /^P(\d+) (\d+) ([\s\S]*)$/;
const MOVE_ENTRY = /^([A-Z])(\d+) ([\s\S]*)$/;

/** One stored history entry; `previousServer` is the server of the entry before it (packed moves imply it). */
function decodeEntry(id: string, text: string, previousServer: string | null): HistoryRecord {
  if (text.startsWith('[')) {
    const [state, at, serverId, reason, data] = JSON.parse(text) as [JobState, number, string | null, string, Json];
    return { jobId: id, state, reason, data, at: new Date(at), serverId };
  }
  const lease = LEASE_ENTRY.exec(text);
  if (lease !== null) {
    const serverId = lease[3]!;
    const { reason, data } = claimIntent(serverId, Number(lease[2]), '', 0);
    return { jobId: id, state: 'processing', reason, data, at: new Date(Number(lease[1])), serverId };
  }
  const move = MOVE_ENTRY.exec(text);
  const state = move === null ? undefined : STATE_OF_CODE[move[1]!];
  if (move === null || state === undefined) {
    throw new StorageError(`Redis storage: job "${id}" has a history entry in an unknown format: ${JSON.stringify(text.slice(0, 80))}.`, { retryable: false });
  }
  return { jobId: id, state, reason: move[3]!, data: null, at: new Date(Number(move[2])), serverId: previousServer };
}

/**
 * A job's history: the creation entry kept in its hash, then the entries of field 'h' (one per line,
 * written by earlier versions), then one field per entry, 'h1' to 'h<hn>'.
 */
export function decodeHistory(id: string, raw: RawHash): HistoryRecord[] {
  const fields = new Map<string, string>();
  for (let i = 0; i < raw.length; i += 2) fields.set(raw[i]!, raw[i + 1]!);
  const history: HistoryRecord[] = [
    {
      jobId: id,
      state: fields.get('cstate') as JobState,
      reason: fields.get('creason') ?? '',
      data: null,
      at: new Date(Number(fields.get('created'))),
      serverId: null,
    },
  ];
  const older = fields.get('h');
  const texts = older === undefined || older === '' ? [] : older.split('\n');
  const count = Number(fields.get('hn') ?? 0);
  for (let n = 1; n <= count; n++) {
    const text = fields.get(`h${n}`);
    if (text !== undefined) texts.push(text);
  }
  for (const text of texts) history.push(decodeEntry(id, text, history[history.length - 1]!.serverId));
  return history;
}

/** Log lines as stored: JSON arrays `[attempt, level, message, at]`. */
export function encodeLog(entry: { attempt: number; level: LogLevel; message: string; at: Date }): string {
  return JSON.stringify([entry.attempt, entry.level, entry.message, new Date(entry.at).getTime()]);
}

/** Decodes stored log lines of a job. */
export function decodeLogs(id: string, lines: string[]): LogRecord[] {
  return lines.map((text) => {
    const [attempt, level, message, at] = JSON.parse(text) as [number, LogLevel, string, number];
    return { jobId: id, attempt, level, message, at: new Date(at) };
  });
}

/** Decodes a recurring job's hash. */
export function decodeRecurring(id: string, raw: RawHash): RecurringRecord {
  const f: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) f[raw[i]!] = raw[i + 1]!;
  let args: Json;
  try {
    args = JSON.parse(f.args ?? 'null') as Json;
  } catch (error) {
    // Loud on purpose: firing the template with made-up arguments would run jobs with wrong input.
    throw new StorageError(`Redis storage: recurring job "${id}" has unreadable arguments (invalid JSON). Update it with addOrUpdate or remove it.`, {
      retryable: false,
      cause: error,
    });
  }
  return {
    id,
    name: f.name ?? '',
    args,
    cron: f.cron ?? '',
    timezone: f.tz ?? 'UTC',
    queue: f.queue ?? 'default',
    priority: Number(f.prio ?? 0),
    maxAttempts: Number(f.maxAtt ?? 0),
    timeoutMs: num(f.timeout),
    retentionMs: num(f.retention),
    misfire: (f.misfire ?? 'once') as MisfirePolicy,
    settings: decodeRecurringSettings(f.settings),
    paused: f.paused === '1',
    nextRunAt: date(f.next),
    runs: Number(f.runs ?? 0),
    lastRunAt: date(f.last),
    lastJobId: str(f.lastJob),
    createdAt: new Date(Number(f.created)),
    updatedAt: new Date(Number(f.updated)),
  };
}

/** Decodes the servers list: records (JSON) and heartbeats. */
export function decodeServers(records: string[], beats: string[]): ServerRecord[] {
  const heartbeat = new Map<string, number>();
  for (let i = 0; i < beats.length; i += 2) heartbeat.set(beats[i]!, Number(beats[i + 1]));
  const servers: ServerRecord[] = [];
  for (let i = 0; i < records.length; i += 2) {
    const id = records[i]!;
    const s = JSON.parse(records[i + 1]!) as Omit<ServerRecord, 'startedAt' | 'heartbeatAt'> & { startedAt: number };
    servers.push({ ...s, id, startedAt: new Date(s.startedAt), heartbeatAt: new Date(heartbeat.get(id) ?? 0) });
  }
  return servers.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
