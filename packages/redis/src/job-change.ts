import type { JobChangeParams, JobChangeResult, JobChangeWrite, JobState } from '@spool/core';
import { StorageError, decideJobChange } from '@spool/core';

/** A job's facts as the hash stores them: state, runAt, prio, queue ('' for none). */
type StoredFacts = [state: string, runAt: string, prio: string, queue: string];

/** What the change needs of the storage: a read of the facts, the guarded script, the clock, events. */
export interface JobChangeHost {
  readFacts(id: string): Promise<StoredFacts | null>;
  runScript(args: ReadonlyArray<string | number>): Promise<unknown>;
  now(): number;
  emitPayload(payload: string): void;
}

// A decision is stale only when a write landed between the read and the script; a claim ends that
// at once (a started job allows nothing). A job rewritten this often in a row is reported, not chased.
const MAX_DECISIONS = 5;

/**
 * Changes a waiting job on Redis: reads the job's facts, asks core (`decideJobChange`) what the
 * change writes, and runs the script that writes it guarded on those same facts. When the facts
 * moved in between (a claim, another change), the script writes nothing and returns them, and core
 * decides again on what it found. Lua decides nothing: it applies the decision or refuses it.
 */
export async function changeRedisJob(host: JobChangeHost, params: JobChangeParams): Promise<JobChangeResult> {
  let stored = await host.readFacts(params.id);
  for (let round = 0; round < MAX_DECISIONS; round++) {
    if (stored === null) return { ok: false, previous: null };
    const [state, runAt, prio, queue] = stored;
    const facts = { state: state as JobState, runAt: runAt === '' ? null : Number(runAt), priority: Number(prio), queue };
    const decision = decideJobChange({ job: facts, change: params.change, now: host.now() });
    if (!decision.ok) return { ok: false, previous: facts.state, refused: decision.refused };
    const { write } = decision;
    const reply = (await host.runScript([
      params.id,
      ...stored,
      ...changeWriteArguments(write),
    ])) as [number, string, ...string[]];
    if (reply[0] === 1) {
      host.emitPayload(reply[2] ?? '');
      return { ok: true, previous: facts.state };
    }
    stored = reply[1] === '' ? null : [reply[1], reply[2] ?? '', reply[3] ?? '0', reply[4] ?? ''];
  }
  throw new StorageError(`Redis storage: job ${params.id} changed ${MAX_DECISIONS} times while a change of it was decided; nothing was written. Try again.`, {
    retryable: true,
  });
}

/**
 * A decided change as the arguments of the library's write of a waiting job's change
 * (`job-change-write.lua.ts`): due time, priority, queue, whether and what arguments, the queue
 * position, and the history entry. Shared by `job_change` and the replace of a duplicate's holder.
 */
export function changeWriteArguments(write: JobChangeWrite): string[] {
  return [
    write.runAt === 'keep' ? '' : String(write.runAt.set),
    write.priority === 'keep' ? '' : String(write.priority.set),
    write.queue === 'keep' ? '' : write.queue.set,
    write.args === 'keep' ? '0' : '1',
    write.args === 'keep' ? '' : JSON.stringify(write.args.set),
    write.queuePosition === 'back' ? '1' : '0',
    write.history.reason,
    JSON.stringify(write.history.data),
  ];
}
