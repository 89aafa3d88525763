import type { ErrorRecord } from '../job/records.js';
import type { ChangeCause, StateChange } from './state-change.js';
import { decideStateChange } from './state-change.js';
import type { JobState } from './states.js';
import { JOB_STATES, TRANSITIONS } from './states.js';

/**
 * What a state change writes, without its values: which fields it sets, keeps or clears. A storage
 * whose write is fixed in advance (a batch statement for successes, a claim, a table in Lua) states
 * the shape it writes, and checks it against the decision with {@link assertWritesShape}, so that it
 * cannot drift from what {@link decideStateChange} decides.
 */
export interface ChangeShape {
  from: JobState;
  to: JobState;
  finishedAt: 'now' | 'clear' | 'keep';
  /** `given`: the time the cause brings (a retry's due time). */
  runAt: 'now' | 'given' | 'clear' | 'keep';
  expires: boolean;
  attempts: StateChange['attempts'];
  rescues: StateChange['rescues'];
  progress: StateChange['progress'];
  result: 'set' | 'keep';
  error: 'set' | 'clear' | 'keep';
  /** `now`: the job is marked dead-lettered; `clear`: the mark is removed. */
  deadLetter: 'now' | 'clear' | 'keep';
  lease: 'take' | 'end' | 'clear';
  queuePosition: StateChange['queuePosition'];
  uniqueKey: StateChange['uniqueKey'];
  settleContinuations: boolean;
  limits: StateChange['limits'];
  queueDelta: -1 | 0 | 1;
  series: 'succeeded' | 'failed' | null;
}

/** The shape of a decided change. */
export function shapeOf(change: StateChange): ChangeShape {
  const { finishedAt, runAt, error } = change;
  return {
    from: change.from,
    to: change.to,
    finishedAt: finishedAt === 'keep' ? 'keep' : finishedAt.set === null ? 'clear' : 'now',
    runAt: runAt === 'keep' ? 'keep' : runAt.set === null ? 'clear' : runAt.set === change.updatedAt ? 'now' : 'given',
    expires: change.expires,
    attempts: change.attempts,
    rescues: change.rescues,
    progress: change.progress,
    result: change.result === 'keep' ? 'keep' : 'set',
    error: error === 'keep' ? 'keep' : error.set === null ? 'clear' : 'set',
    deadLetter: change.deadLetter === 'keep' ? 'keep' : change.deadLetter.set === null ? 'clear' : 'now',
    lease: typeof change.lease === 'object' ? 'take' : change.lease,
    queuePosition: change.queuePosition,
    uniqueKey: change.uniqueKey,
    settleContinuations: change.settleContinuations,
    limits: change.limits,
    queueDelta: change.counters.queue,
    series: change.counters.series?.state ?? null,
  };
}

/**
 * Throws unless `written` is exactly the shape core decides for `from -> to` by `cause`. Storages
 * call it when they load, for every write they fix in advance: a change of the decision then fails
 * every test of that storage at once instead of drifting from the general path.
 */
export function assertWritesShape(what: string, from: JobState, to: JobState, cause: ChangeCause, written: ChangeShape): void {
  const decided = shapeOf(decideStateChange({ from, to, cause, now: SAMPLE_NOW, reason: '', data: null, serverId: null }));
  const differs = (Object.keys(decided) as Array<keyof ChangeShape>).filter((key) => decided[key] !== written[key]);
  if (differs.length > 0) {
    const detail = differs.map((key) => `${key}: writes ${String(written[key])}, core decides ${String(decided[key])}`).join('; ');
    throw new Error(`${what} does not write what core decides for ${from} -> ${to} (${cause.kind}): ${detail}`);
  }
}

/**
 * The writes storages fix in advance for their hot paths, each with the move and cause it stands
 * for and the shape such a statement must write. A storage that has one of these statements checks
 * it with {@link assertFixedWrite} when its module loads.
 */
export const FIXED_WRITES = {
  /** A lease holder's success (a statement for one success, or for a batch of them). */
  success: {
    from: 'processing',
    to: 'succeeded',
    cause: { kind: 'succeeded', result: null },
    shape: {
      from: 'processing',
      to: 'succeeded',
      finishedAt: 'now',
      runAt: 'keep',
      expires: true,
      attempts: 'keep',
      rescues: 'keep',
      progress: 'complete',
      result: 'set',
      error: 'keep',
      deadLetter: 'keep',
      lease: 'end',
      queuePosition: 'keep',
      uniqueKey: 'keep',
      settleContinuations: true,
      limits: 'release',
      queueDelta: 0,
      series: 'succeeded',
    },
  },
  /**
   * A claim of enqueued jobs. The job is enqueued, so it has no expiry, finish time or error to
   * clear: a claim statement may leave those columns as they are.
   */
  claim: {
    from: 'enqueued',
    to: 'processing',
    cause: { kind: 'claim', leaseToken: '', leaseExpiresAt: 0 },
    shape: {
      from: 'enqueued',
      to: 'processing',
      finishedAt: 'keep',
      runAt: 'keep',
      expires: false,
      attempts: 'count',
      rescues: 'keep',
      progress: 'keep',
      result: 'keep',
      error: 'keep',
      deadLetter: 'keep',
      lease: 'take',
      queuePosition: 'keep',
      uniqueKey: 'keep',
      settleContinuations: false,
      limits: 'keep',
      queueDelta: -1,
      series: null,
    },
  },
  /** Due scheduled jobs enqueued in one statement. */
  promotion: {
    from: 'scheduled',
    to: 'enqueued',
    cause: { kind: 'promotion' },
    shape: {
      from: 'scheduled',
      to: 'enqueued',
      finishedAt: 'clear',
      runAt: 'clear',
      expires: false,
      attempts: 'keep',
      rescues: 'keep',
      progress: 'keep',
      result: 'keep',
      error: 'keep',
      deadLetter: 'keep',
      lease: 'clear',
      queuePosition: 'back',
      uniqueKey: 'keep',
      settleContinuations: false,
      limits: 'keep',
      queueDelta: 1,
      series: null,
    },
  },
} as const satisfies Record<string, { from: JobState; to: JobState; cause: ChangeCause; shape: ChangeShape }>;

/** Throws unless the statement `what`, fixed in advance as a write of `kind`, writes what core decides for it. */
export function assertFixedWrite(what: string, kind: keyof typeof FIXED_WRITES): void {
  const { from, to, cause, shape } = FIXED_WRITES[kind];
  assertWritesShape(what, from, to, cause, shape);
}

/** The time used to decide sample changes: any time, distinct from {@link SAMPLE_RUN_AT}. */
const SAMPLE_NOW = 1_000_000;
const SAMPLE_RUN_AT = 2_000_000;
const SAMPLE_ERROR: ErrorRecord = { name: 'Error', message: '' };

/**
 * The causes a storage whose rules are generated (the Lua of the Redis storage) names, by variant:
 * the cause of each kind with the flags that change its shape. Their values are samples: only the
 * shape is used.
 */
const VARIANTS: Record<string, (to: JobState) => ChangeCause> = {
  succeeded: () => ({ kind: 'succeeded', result: null }),
  failed: () => ({ kind: 'failed', error: SAMPLE_ERROR }),
  'failed:dead-letter': () => ({ kind: 'failed', error: SAMPLE_ERROR, deadLetter: true }),
  retry: () => ({ kind: 'retry', error: SAMPLE_ERROR, runAt: SAMPLE_RUN_AT }),
  snooze: () => ({ kind: 'snooze', runAt: SAMPLE_RUN_AT }),
  returned: () => ({ kind: 'returned', refundAttempt: false }),
  'returned:refund': () => ({ kind: 'returned', refundAttempt: true }),
  rescue: () => ({ kind: 'rescue', poisoned: false }),
  'rescue:poisoned': () => ({ kind: 'rescue', poisoned: true, error: SAMPLE_ERROR }),
  promotion: () => ({ kind: 'promotion' }),
  // As dependencyIntent builds them: a dependency that fails its child always gives the error.
  parent: (to) => (to === 'failed' ? { kind: 'parent', parentId: '', error: SAMPLE_ERROR } : { kind: 'parent', parentId: '' }),
  // As operatorIntent builds them: a move to failed always sets the error (null clears it).
  operator: (to) => (to === 'failed' ? { kind: 'operator', resetAttempts: false, error: SAMPLE_ERROR } : { kind: 'operator', resetAttempts: false }),
  'operator:reset': (to) => (to === 'failed' ? { kind: 'operator', resetAttempts: true, error: SAMPLE_ERROR } : { kind: 'operator', resetAttempts: true }),
};
export const CAUSE_VARIANTS: Readonly<Record<string, (to: JobState) => ChangeCause>> = Object.freeze(VARIANTS);

/** The variant name of a cause, a key of {@link CAUSE_VARIANTS}. */
export function causeVariant(cause: ChangeCause): string {
  switch (cause.kind) {
    case 'returned':
      return cause.refundAttempt ? 'returned:refund' : 'returned';
    case 'rescue':
      return cause.poisoned ? 'rescue:poisoned' : 'rescue';
    case 'operator':
      return cause.resetAttempts ? 'operator:reset' : 'operator';
    case 'failed':
      return cause.deadLetter === true ? 'failed:dead-letter' : 'failed';
    case 'claim':
    case 'succeeded':
    case 'retry':
    case 'snooze':
    case 'promotion':
    case 'parent':
      return cause.kind;
    default: {
      const never: never = cause;
      return never;
    }
  }
}

/**
 * Every shape a variant of {@link CAUSE_VARIANTS} can take, keyed `variant|from>to`: the table a
 * storage with generated rules is driven by. Claims are not in it: a claim is its own write.
 */
export function allChangeShapes(): Map<string, ChangeShape> {
  const shapes = new Map<string, ChangeShape>();
  for (const [variant, causeFor] of Object.entries(CAUSE_VARIANTS)) {
    for (const from of JOB_STATES) {
      for (const to of TRANSITIONS[from]) {
        let change: StateChange;
        try {
          change = decideStateChange({ from, to, cause: causeFor(to), now: SAMPLE_NOW, reason: '', data: null, serverId: null });
        } catch {
          continue; // this cause does not make this move
        }
        shapes.set(`${variant}|${from}>${to}`, shapeOf(change));
      }
    }
  }
  return shapes;
}
