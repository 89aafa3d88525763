/**
 * The part of the storage contract that keeps the audit log: one entry per operator action (who,
 * what, on which jobs, recurring jobs or queues, and the result), newest first, the latest kept.
 */

/** What an audited action was about. */
export type AuditSubject = 'jobs' | 'recurring' | 'queue' | 'limits';

/** How an audited action ended. */
export type AuditOutcome = 'done' | 'refused' | 'failed';

/** An audit entry to append. */
export interface NewAuditEntry {
  /** Who acted: the operator the dashboard's `authorize` named, else the request's remote address. */
  actor: string;
  /** What was done, as the dashboard names it: `jobs.delete`, `recurring.pause`, `queue.resume`, ... */
  action: string;
  subject: AuditSubject;
  /** The ids or names acted on, at most {@link AUDIT_TARGETS_LIMIT} (the first of a larger set). */
  targets: string[];
  /** How many things the action was asked to change (may exceed `targets.length`). */
  count: number;
  outcome: AuditOutcome;
  /** The result as the operator was told it. */
  message: string;
}

/** A stored audit entry: numbered in the order appended, stamped with the storage's time. */
export interface AuditEntry extends NewAuditEntry {
  seq: number;
  at: Date;
}

/** How many entries the audit log keeps by default: older ones are removed as new ones come. */
export const AUDIT_LOG_LIMIT = 10_000;

/** Most targets one entry names. */
export const AUDIT_TARGETS_LIMIT = 100;

/** Input of `Storage.auditAppend`. */
export interface AuditAppendParams {
  entry: NewAuditEntry;
  /** How many of the latest entries to keep, this one included (callers pass {@link AUDIT_LOG_LIMIT}). */
  keep: number;
}

/** Input of `Storage.auditList`. */
export interface AuditListParams {
  limit: number;
  /** Only entries numbered below this one (the `seq` of the last entry of the previous page). */
  before?: number;
}
