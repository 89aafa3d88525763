import type { AuditAppendParams, AuditEntry, AuditListParams } from '@spool/core';
import { auditEntryFromRow, storableAuditEntry } from '@spool/core/storage-kit';

import type { Executor } from './executor.js';
import type { WriteContext } from './write-context.js';

/** Appends an entry and removes those older than the latest `keep`, in the write's transaction. */
export async function appendAudit(ctx: WriteContext, params: AuditAppendParams): Promise<AuditEntry> {
  const e = storableAuditEntry(params.entry);
  const [row] = await ctx.db.run(
    `INSERT INTO ${ctx.s}.audit (at, actor, action, subject, targets, count, outcome, message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq`,
    [ctx.now, e.actor, e.action, e.subject, JSON.stringify(e.targets), e.count, e.outcome, e.message],
  );
  const seq = Number(row!.seq);
  await ctx.db.run(`DELETE FROM ${ctx.s}.audit WHERE seq <= $1`, [seq - params.keep]);
  return { ...e, seq, at: new Date(ctx.now) };
}

/** The latest entries, newest first. */
export async function listAudit(db: Executor, s: string, params: AuditListParams): Promise<AuditEntry[]> {
  const rows = await db.run(`SELECT seq, at, actor, action, subject, targets, count, outcome, message FROM ${s}.audit WHERE seq < $1 ORDER BY seq DESC LIMIT $2`, [
    params.before ?? Number.MAX_SAFE_INTEGER,
    params.limit,
  ]);
  return rows.map(auditEntryFromRow);
}
