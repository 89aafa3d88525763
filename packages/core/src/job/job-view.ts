import type { Storage } from '../storage/contract.js';
import type { ErrorRecord, HistoryRecord, JobRecord, LogRecord } from './records.js';

/** A job as `getJob` returns it: the record, its state history and its persisted logs. */
export interface JobView extends JobRecord {
  history: HistoryRecord[];
  logs: LogRecord[];
  /** Present when the arguments or the result are stored by reference in the file store (docs/file-store.md). */
  payloads?: JobPayloads;
}

/** A job's by-reference payloads, by slot. */
export interface JobPayloads {
  args?: PayloadSummary;
  result?: PayloadSummary;
}

/** What `getJob` tells of one by-reference payload. */
export interface PayloadSummary {
  /** The file's key in the file store. */
  key: string;
  /** The size of its JSON, in bytes. */
  bytes: number;
  /**
   * Why it could not be read (`ERR_PAYLOAD_MISSING`, `ERR_PAYLOAD_CORRUPT`, `ERR_FILE_STORE`,
   * `ERR_FILE_STORE_MISSING`), or null when it was read (or not asked for). When set, the view's
   * value is the reference itself.
   */
  error: ErrorRecord | null;
}

/** Reads a job with its history and logs; null when it does not exist (or expired). */
export async function readJobView(storage: Storage, id: string): Promise<JobView | null> {
  const details = await storage.monitoring.jobDetails({ id });
  return details ? { ...details.job, history: details.history, logs: details.logs } : null;
}
