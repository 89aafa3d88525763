import type { DeadLettersRedriveParams } from './dead-letters-contract.js';
import type { NewAuditEntry } from './audit-contract.js';
import { AUDIT_TARGETS_LIMIT } from './audit-contract.js';
import type { ErrorRecord, Json, NewJob } from '../job/records.js';
import type { Completion, CompletionOutcome, JobChangeParams, JobSetStateParams, NewLogRecord } from './contract.js';

/**
 * The one rule for values a storage cannot hold: every string a handler produces is kept exactly,
 * except that each NUL (U+0000) and each lone surrogate (U+D800 to U+DFFF without its pair) becomes
 * U+FFFD. PostgreSQL cannot hold NUL in `text` or `jsonb` at all, and UTF-8 (SQLite, Redis, every
 * driver) cannot encode a lone surrogate; so every storage, the memory storage too, applies this
 * rule where a value comes in, and all of them give back the same value.
 *
 * It runs on every completion: a string that needs no change costs two native scans (no regex, no
 * copy), and a value that needs no change is returned as it is, not copied.
 */

/** The character that replaces what a storage cannot hold. */
export const REPLACEMENT_CHARACTER = '\uFFFD';

/** `String.prototype.isWellFormed` and `toWellFormed` (Node 20; not in the ES2023 library types). */
interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** Whether a storage keeps `text` exactly: it holds no NUL and no lone surrogate. */
export function isStorableText(text: string): boolean {
  return (text as unknown as WellFormed).isWellFormed() && !text.includes('\0');
}

/** `text` as every storage keeps it: each NUL and each lone surrogate replaced by U+FFFD. */
export function storableText(text: string): string {
  if (isStorableText(text)) return text;
  return (text as unknown as WellFormed).toWellFormed().replaceAll('\0', REPLACEMENT_CHARACTER);
}

/** Whether a storage keeps every string of a JSON value (object keys too) exactly. */
export function isStorableJson(value: Json): boolean {
  if (typeof value === 'string') return isStorableText(value);
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.every(isStorableJson);
  for (const key of Object.keys(value)) {
    if (!isStorableText(key) || !isStorableJson(value[key]!)) return false;
  }
  return true;
}

/**
 * A JSON value as every storage keeps it: {@link storableText} applied to every string and object
 * key. The value itself when nothing changes. (Two keys that become equal keep the later value.)
 */
export function storableJson<T extends Json>(value: T): T {
  return (isStorableJson(value) ? value : replaceInJson(value)) as T;
}

function replaceInJson(value: Json): Json {
  if (typeof value === 'string') return storableText(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(replaceInJson);
  // fromEntries defines own properties, so a key such as "__proto__" stays data.
  return Object.fromEntries(Object.keys(value).map((key) => [storableText(key), replaceInJson(value[key]!)]));
}

/** An error record as every storage keeps it: name, message, code, stack and its cause chain. */
export function storableError(error: ErrorRecord): ErrorRecord {
  if (isStorableError(error)) return error;
  const record: ErrorRecord = { ...error, name: storableText(error.name), message: storableText(error.message) };
  if (error.code !== undefined) record.code = storableText(error.code);
  if (error.stack !== undefined) record.stack = storableText(error.stack);
  if (error.cause !== undefined) record.cause = storableError(error.cause);
  return record;
}

function isStorableError(error: ErrorRecord): boolean {
  for (let e: ErrorRecord | undefined = error; e !== undefined; e = e.cause) {
    if (!isStorableText(e.name) || !isStorableText(e.message)) return false;
    if (e.code !== undefined && !isStorableText(e.code)) return false;
    if (e.stack !== undefined && !isStorableText(e.stack)) return false;
  }
  return true;
}

/** A completion as every storage keeps it: its reason, result and error. The same object when nothing changes. */
export function storableCompletion(completion: Completion): Completion {
  const outcome = storableOutcome(completion.outcome);
  return outcome === completion.outcome ? completion : { ...completion, outcome };
}

/** The completions of a batch as every storage keeps them; the same array when nothing changes. */
export function storableCompletions(completions: Completion[]): Completion[] {
  let copy: Completion[] | null = null;
  for (let i = 0; i < completions.length; i++) {
    const storable = storableCompletion(completions[i]!);
    if (storable !== completions[i]) (copy ??= completions.slice())[i] = storable;
  }
  return copy ?? completions;
}

function storableOutcome(outcome: CompletionOutcome): CompletionOutcome {
  const reason = storableText(outcome.reason);
  switch (outcome.state) {
    case 'succeeded': {
      const result = storableJson(outcome.result);
      return reason === outcome.reason && result === outcome.result ? outcome : { ...outcome, reason, result };
    }
    case 'scheduled':
      if (outcome.snoozed) return reason === outcome.reason ? outcome : { ...outcome, reason };
      return storableFailure(outcome, reason);
    case 'failed':
      return storableFailure(outcome, reason);
    case 'enqueued':
      return reason === outcome.reason ? outcome : { ...outcome, reason };
    default: {
      const never: never = outcome;
      return never;
    }
  }
}

/** A parameter to set as every storage keeps it: its key and value. The same object when nothing changes. */
export function storableParameter<P extends { key: string; value: Json }>(params: P): P {
  const key = storableText(params.key);
  const value = storableJson(params.value);
  return key === params.key && value === params.value ? params : { ...params, key, value };
}

/** Log lines as every storage keeps them: each message. The same array when nothing changes. */
export function storableLogs(entries: NewLogRecord[]): NewLogRecord[] {
  if (entries.every((entry) => isStorableText(entry.message))) return entries;
  return entries.map((entry) => ({ ...entry, message: storableText(entry.message) }));
}

/** An operator's state change as every storage keeps it: its reason, history data and error. */
export function storableStateChange(params: JobSetStateParams): JobSetStateParams {
  const reason = storableText(params.reason);
  const data = params.data === undefined ? undefined : storableJson(params.data);
  const error = params.error === undefined ? undefined : storableError(params.error);
  if (reason === params.reason && data === params.data && error === params.error) return params;
  const storable: JobSetStateParams = { ...params, reason };
  if (data !== undefined) storable.data = data;
  if (error !== undefined) storable.error = error;
  return storable;
}

/**
 * New jobs as every storage keeps them: their parameters and reason. Arguments are never changed:
 * every storage keeps them exactly, as the JSON text the client made (which escapes NUL and lone
 * surrogates), and the conformance suite checks it.
 */
export function storableNewJobs(jobs: NewJob[]): NewJob[] {
  let copy: NewJob[] | null = null;
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i]!;
    const parameters = storableJson(job.parameters);
    const reason = storableText(job.reason);
    if (parameters !== job.parameters || reason !== job.reason) (copy ??= jobs.slice())[i] = { ...job, parameters, reason };
  }
  return copy ?? jobs;
}

/** A failure or retry outcome with storable reason and error. */
function storableFailure<T extends { reason: string; error: ErrorRecord }>(outcome: T, reason: string): T {
  const error = storableError(outcome.error);
  return reason === outcome.reason && error === outcome.error ? outcome : { ...outcome, reason, error };
}

/** A change of a waiting job with its new arguments as every storage keeps them. */
export function storableJobChange(params: JobChangeParams): JobChangeParams {
  const { args } = params.change;
  return args === undefined ? params : { ...params, change: { ...params.change, args: storableJson(args) } };
}

/** An audit entry as storage keeps it: its texts storable, at most `AUDIT_TARGETS_LIMIT` targets. */
export function storableAuditEntry(entry: NewAuditEntry): NewAuditEntry {
  return {
    actor: storableText(entry.actor),
    action: storableText(entry.action),
    subject: entry.subject,
    targets: entry.targets.slice(0, AUDIT_TARGETS_LIMIT).map(storableText),
    count: entry.count,
    outcome: entry.outcome,
    message: storableText(entry.message),
  };
}

/** A redrive with its reason made storable (the arguments are kept exactly, as every job's are). */
export function storableRedrive(params: DeadLettersRedriveParams): DeadLettersRedriveParams {
  return isStorableText(params.reason) ? params : { ...params, reason: storableText(params.reason) };
}
