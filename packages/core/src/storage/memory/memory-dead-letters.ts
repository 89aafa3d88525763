import type { JobRecord } from '../../job/records.js';
import { decideRedrive } from '../../states/redrive.js';
import type {
  DeadLetterFilter,
  DeadLetterGroup,
  DeadLettersGroupsParams,
  DeadLettersListParams,
  DeadLettersListResult,
  DeadLettersRedriveParams,
  DeadLettersRedriveResult,
} from '../dead-letters-contract.js';
import { byCountThenName } from '../dead-letters-contract.js';
import { decodeCursor, encodeCursor } from '../monitoring-helpers.js';
import type { Clock } from '../../util/clock.js';
import { MemoryEvents } from './memory-events.js';
import type { MemoryJobChanges } from './memory-job-changes.js';
import type { MemoryJob, MemoryState } from './memory-state.js';
import { toRecord } from './memory-state.js';

/** The memory storage's dead letters: lists and counts over its index of dead letters, and redrives. */
export class MemoryDeadLetters {
  constructor(
    private readonly state: MemoryState,
    private readonly changes: MemoryJobChanges,
    private readonly clock: Clock,
    private readonly emit: (events: MemoryEvents) => void,
  ) {}

  list(params: DeadLettersListParams): DeadLettersListResult {
    const after = decodeCursor(params.cursor);
    const matching = [...this.state.deadLetters.values()]
      .filter((job) => matchesFilter(job, params) && (after === null || job.id < after))
      .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const page = matching.slice(0, params.limit);
    const nextCursor = matching.length > params.limit ? encodeCursor(page.at(-1)!.id) : null;
    return { jobs: page.map((job): JobRecord => toRecord(job)), nextCursor };
  }

  groups(params: DeadLettersGroupsParams): DeadLetterGroup[] {
    const groups = new Map<string, DeadLetterGroup>();
    for (const job of this.state.deadLetters.values()) {
      if (params.name !== undefined && job.name !== params.name) continue;
      const errorName = job.deadLetterError ?? '';
      const key = `${job.name}\u0000${errorName}`;
      const group = groups.get(key) ?? { name: job.name, errorName, count: 0, lastAt: job.deadLetteredAt! };
      group.count++;
      if (job.deadLetteredAt! > group.lastAt) group.lastAt = job.deadLetteredAt!;
      groups.set(key, group);
    }
    return [...groups.values()].sort(byCountThenName).slice(0, params.limit);
  }

  redrive(params: DeadLettersRedriveParams): DeadLettersRedriveResult {
    const now = this.clock.now();
    const events = new MemoryEvents();
    const results = params.redrives.map((redrive) => {
      const job = this.state.jobs.get(redrive.id);
      if (!job) return { id: redrive.id, ok: false, previous: null };
      const facts = { state: job.state, deadLetteredAt: job.deadLetteredAt?.getTime() ?? null, args: job.args, error: job.error };
      const decision = decideRedrive({ job: facts, ...(redrive.args !== undefined ? { args: redrive.args } : {}), reason: params.reason });
      if (!decision.ok) return { id: redrive.id, ok: false, previous: job.state };
      if (decision.args !== 'keep') this.changes.replaceArgs(job, decision.args.set);
      this.changes.transition(job, decision.intent, now, null, events);
      return { id: redrive.id, ok: true, previous: 'failed' as const };
    });
    this.emit(events);
    return { results };
  }
}

/** Whether a dead letter matches a filter, as every storage's query matches it. */
function matchesFilter(job: MemoryJob, filter: DeadLetterFilter): boolean {
  const at = job.deadLetteredAt!.getTime();
  return (
    (filter.name === undefined || job.name === filter.name) &&
    (filter.errorName === undefined || job.deadLetterError === filter.errorName) &&
    (filter.message === undefined || (job.error?.message ?? '').includes(filter.message)) &&
    (filter.from === undefined || at >= filter.from.getTime()) &&
    (filter.to === undefined || at <= filter.to.getTime())
  );
}
