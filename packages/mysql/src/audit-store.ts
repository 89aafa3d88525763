import type { AuditAppendParams, AuditEntry, AuditListParams } from '@spool/core';
import { auditEntryFromRow, storableAuditEntry } from '@spool/core/storage-kit';

import type { Executor } from './executor.js';
import type { Tables } from './tables.js';
import type { WriteContext } from './write-context.js';

/** Appends an entry and removes those older than the latest `keep`, in the write's transaction. */
export async function appendAudit(ctx: WriteContext, params: AuditAppendParams): Promise<AuditEntry> {
  const e = storableAuditEntry(params.entry);
  const { insertId } = await ctx.db.exec(`INSERT INTO ${ctx.t.audit} (at, actor, action, subject, targets, count, outcome, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
    ctx.now,
    e.actor,
    e.action,
    e.subject,
    JSON.stringify(e.targets),
    e.count,
    e.outcome,
    e.message,
  ]);
  await ctx.db.exec(`DELETE FROM ${ctx.t.audit} WHERE seq <= ?`, [insertId - params.keep]);
  return { ...e, seq: insertId, at: new Date(ctx.now) };
}

/** The latest entries, newest first. */
export async function listAudit(db: Executor, t: Tables, params: AuditListParams): Promise<AuditEntry[]> {
  const rows = await db.rows(`SELECT seq, at, actor, action, subject, targets, count, outcome, message FROM ${t.audit} WHERE seq < ? ORDER BY seq DESC LIMIT ?`, [
    params.before ?? Number.MAX_SAFE_INTEGER,
    params.limit,
  ]);
  return rows.map(auditEntryFromRow);
}
