import type { NewRecurringHistory } from '../job/records.js';
import type { RecurringFireParams } from './contract.js';

/**
 * The history entries a firing writes, given the ids of the jobs it created: every entry but those
 * that name one of the firing's own jobs that was not created (its occurrence was refused), so the
 * history never says a job was fired that does not exist.
 */
export function recurringHistoryToWrite(params: RecurringFireParams, created: ReadonlySet<string>): NewRecurringHistory[] {
  const own = new Set(params.jobs.map(({ job }) => job.id));
  return (params.history ?? []).filter((entry) => entry.jobId === null || !own.has(entry.jobId) || created.has(entry.jobId));
}
