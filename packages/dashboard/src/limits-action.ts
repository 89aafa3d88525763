import type { NewAuditEntry, Spool } from '@spool/core';
import { ConfigError, describeLimits, limitsFromText, scopeFromText, scopeId } from '@spool/core';

import type { SafeHtml } from './html.js';
import type { Form } from './http-io.js';
import { field } from './http-io.js';
import type { PageContext } from './pages/page-context.js';
import { LIMIT_FIELD_LABELS, limitsEditPage } from './pages/limits-page.js';

/** What a limits action did: the audit entry, and either a notice to go back with or the form again. */
export type LimitsActionOutcome = { audit: Omit<NewAuditEntry, 'actor'>; notice: string } | { audit: Omit<NewAuditEntry, 'actor'>; page: SafeHtml; status: number };

/**
 * `POST actions/limits`: `set` stores the operator's limits of a scope (they win over the code's
 * until cleared), `clear` removes them. What the operator typed is checked by core, every problem
 * at once; a refused save shows the form again with the values as typed. Null for an unknown action.
 */
export async function limitsAction(spool: Spool, form: Form, actor: string, pageContext: () => Promise<PageContext>): Promise<LimitsActionOutcome | null> {
  const action = field(form, 'action');
  if (action !== 'set' && action !== 'clear') return null;
  const typed = (field(form, 'scope') ?? '').trim();
  const entry = (outcome: 'done' | 'refused', message: string) => ({ action: `limits.${action}`, subject: 'limits' as const, targets: typed ? [typed] : [], count: 1, outcome, message });
  const fields = {
    concurrency: field(form, 'concurrency') ?? '',
    rate: field(form, 'rate') ?? '',
    perKeyConcurrency: field(form, 'perKeyConcurrency') ?? '',
    perKeyRate: field(form, 'perKeyRate') ?? '',
    onLocked: field(form, 'onLocked') ?? 'wait',
    maxSize: field(form, 'maxSize') ?? '',
  };
  try {
    const scope = scopeFromText(typed, 'Scope');
    const id = scopeId(scope);
    if (action === 'clear') {
      await spool.limits.clear(scope);
      const view = await spool.limits.get(scope);
      const notice = `Cleared the operator's limits of ${id}${view ? `; in force now, from the code: ${describeLimits(view.inForce)}` : ''}.`;
      return { audit: entry('done', notice), notice };
    }
    await spool.limits.set(scope, limitsFromText(fields, LIMIT_FIELD_LABELS), { setBy: actor });
    const view = await spool.limits.get(scope);
    const notice = `Limits of ${id} set: ${view ? describeLimits(view.inForce) : 'none'}. They win over the code's until cleared.`;
    return { audit: entry('done', notice), notice };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // What was typed is wrong: say so beside it, keep it, and store nothing.
    const prefix = `limits of ${typed}`;
    const where = (path: string): string => (path.startsWith(`${prefix}.`) ? path.slice(prefix.length + 1) : path === prefix ? 'Limits' : path);
    const message = `Limits refused: ${error.problems.map((p) => `${where(p.path)}: ${p.message}`).join('; ')}.`;
    let view = null;
    try {
      view = await spool.limits.get(scopeFromText(typed, 'Scope'));
    } catch (scopeError) {
      if (!(scopeError instanceof ConfigError)) throw scopeError;
    }
    const ctx = await pageContext();
    return { audit: entry('refused', message), status: 400, page: limitsEditPage(ctx, { scope: typed, fields, view, error: message }) };
  }
}
