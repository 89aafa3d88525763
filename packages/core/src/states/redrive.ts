import type { ErrorRecord, Json } from '../job/records.js';
import type { ChangeIntent } from './change-intents.js';
import type { JobState } from './states.js';

/** The stored facts of a job that a redrive depends on. */
export interface RedriveFacts {
  state: JobState;
  deadLetteredAt: number | null;
  args: Json;
  error: ErrorRecord | null;
}

/** What a redrive of one dead letter writes: the state change, and the arguments when edited. */
export type RedriveDecision =
  | { ok: true; intent: ChangeIntent; args: { set: Json } | 'keep' }
  /** `not-dead`: the job is no longer (or never was) a dead letter; nothing is written. */
  | { ok: false; refused: 'not-dead'; state: JobState };

/** The text of a redrive's history entry. */
export const REDRIVE_TEXTS = {
  redriven: (reason: string, edited: boolean) => (edited ? `${reason} (with edited arguments)` : reason),
} as const;

/**
 * Decides what redriving one job writes. Pure: a storage reads the job's facts and writes the
 * answer in the same atomic step, guarded on the state it read, so of two redrives of one job
 * exactly one moves it and the other is refused (the job runs once).
 *
 * A redriven job goes to its queue as a manual retry does (attempts and rescues start over, the
 * dead-letter mark is cleared, `decideStateChange`). Its history keeps the failure (the entry that
 * dead-lettered it) and gains an entry that names when it was dead-lettered, the error it died of,
 * and, when the arguments are edited, the original arguments: an operator who replays with edited
 * arguments can always see what the job first ran with.
 */
export function decideRedrive(request: { job: RedriveFacts; args?: Json; reason: string }): RedriveDecision {
  const { job, args, reason } = request;
  if (job.state !== 'failed' || job.deadLetteredAt === null) return { ok: false, refused: 'not-dead', state: job.state };
  const edited = args !== undefined;
  const data: Record<string, Json> = {
    redrive: true,
    deadLetteredAt: new Date(job.deadLetteredAt).toISOString(),
    error: job.error === null ? null : (job.error as unknown as Json),
  };
  if (edited) data.originalArgs = job.args;
  return {
    ok: true,
    intent: { to: 'enqueued', cause: { kind: 'operator', resetAttempts: true }, reason: REDRIVE_TEXTS.redriven(reason, edited), data },
    args: edited ? { set: args } : 'keep',
  };
}

/**
 * The facts of a redrive from a stored row as SQL storages read it: the state, the dead-letter time
 * (a number or a numeric string), and the arguments and error as JSON text. Text that cannot be
 * parsed reads as null: the redrive still decides by the state and the mark, and the history
 * entry then holds null for what could not be read.
 */
export function redriveFactsOfRow(row: Readonly<Record<string, unknown>>): RedriveFacts {
  return {
    state: row.state as JobState,
    deadLetteredAt: row.dead_lettered_at === null || row.dead_lettered_at === undefined ? null : Number(row.dead_lettered_at),
    args: parseOrNull(row.args) as Json,
    error: parseOrNull(row.error) as ErrorRecord | null,
  };
}

function parseOrNull(text: unknown): unknown {
  if (typeof text !== 'string') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
