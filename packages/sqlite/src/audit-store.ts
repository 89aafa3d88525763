import type { AuditAppendParams, AuditEntry, AuditListParams } from '@spool/core';
import { auditEntryFromRow, storableAuditEntry } from '@spool/core/storage-kit';

import type { SqliteConnection } from './sqlite-connection.js';

const APPEND_SQL = `INSERT INTO spool_audit (at, actor, action, subject, targets, count, outcome, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
const TRIM_SQL = 'DELETE FROM spool_audit WHERE seq <= ?';
const LIST_SQL = 'SELECT seq, at, actor, action, subject, targets, count, outcome, message FROM spool_audit WHERE seq < ? ORDER BY seq DESC LIMIT ?';

/** Appends an entry and removes those older than the latest `keep` (run inside the write transaction). */
export function appendAudit(conn: SqliteConnection, now: number, params: AuditAppendParams): AuditEntry {
  const e = storableAuditEntry(params.entry);
  const seq = Number(conn.stmt(APPEND_SQL).run(now, e.actor, e.action, e.subject, JSON.stringify(e.targets), e.count, e.outcome, e.message).lastInsertRowid);
  conn.stmt(TRIM_SQL).run(seq - params.keep);
  return { ...e, seq, at: new Date(now) };
}

/** The latest entries, newest first. */
export function listAudit(conn: SqliteConnection, params: AuditListParams): AuditEntry[] {
  const rows = conn.stmt(LIST_SQL).all(params.before ?? Number.MAX_SAFE_INTEGER, params.limit) as Array<Record<string, unknown>>;
  return rows.map(auditEntryFromRow);
}
