import type { Storage } from '../storage/contract.js';
import type { HistoryRecord, JobRecord, LogRecord } from './records.js';

/** A job as `getJob` returns it: the record, its state history and its persisted logs. */
export interface JobView extends JobRecord {
  history: HistoryRecord[];
  logs: LogRecord[];
}

/** Reads a job with its history and logs; null when it does not exist (or expired). */
export async function readJobView(storage: Storage, id: string): Promise<JobView | null> {
  const details = await storage.monitoring.jobDetails({ id });
  return details ? { ...details.job, history: details.history, logs: details.logs } : null;
}
