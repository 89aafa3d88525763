import type { AuditEntry } from '@spool/core';
import { AUDIT_LOG_LIMIT } from '@spool/core';

import type { SafeHtml } from '../html.js';
import { html } from '../html.js';
import { count, emptyState, shortId, time } from './components.js';
import type { PageContext } from './page-context.js';

/** How many entries one page of the audit log shows. */
export const AUDIT_PAGE = 50;

/** A target of an entry, linked to its page when it has one. */
function target(ctx: PageContext, entry: AuditEntry, name: string): SafeHtml {
  if (entry.subject === 'jobs' && /^[0-9a-fA-F-]{36}$/.test(name)) return html`<a class="mono" href="${ctx.base}/job/${name}" title="${name}">${shortId(name)}</a>`;
  if (entry.subject === 'recurring') return html`<a href="${ctx.base}/recurring/detail?id=${encodeURIComponent(name)}">${name}</a>`;
  if (entry.subject === 'limits') return html`<a href="${ctx.base}/limits/edit?scope=${encodeURIComponent(name)}">${name}</a>`;
  if (entry.subject === 'queue') return html`<a href="${ctx.base}/jobs/enqueued?queue=${encodeURIComponent(name)}">${name}</a>`;
  return html`<span class="mono">${name}</span>`;
}

/** The audit log: every action taken in the dashboard, newest first, who did it and what came of it. */
export function auditPage(ctx: PageContext, entries: readonly AuditEntry[], olderHref: string | null): SafeHtml {
  return html`
<div class="page-head"><h1>Audit log</h1><p class="sub">Every action taken in this dashboard, newest first: who, what, on which jobs, recurring jobs or queues, and the result. The latest ${count(AUDIT_LOG_LIMIT)} are kept.</p></div>
${entries.length === 0
  ? emptyState('No action yet', 'Actions taken in the dashboard (delete, retry, pause, trigger, enqueue, …) appear here with who took them.')
  : html`<div class="table-wrap"><table class="table" data-audit>
  <thead><tr><th>When</th><th>Who</th><th>Action</th><th>On</th><th>Result</th></tr></thead>
  <tbody>${entries.map(
    (e) => html`<tr data-audit-entry="${String(e.seq)}" data-outcome="${e.outcome}">
      <td>${time(e.at)}</td>
      <td data-actor>${e.actor}</td>
      <td><code data-action>${e.action}</code></td>
      <td class="small">${e.targets.map((t, i) => html`${i > 0 ? ', ' : ''}${target(ctx, e, t)}`)}${e.count > e.targets.length ? html` <span class="muted">and ${count(e.count - e.targets.length)} more</span>` : ''}</td>
      <td class="small"><span class="badge outcome-${e.outcome}">${e.outcome}</span> ${e.message}</td>
    </tr>`,
  )}</tbody></table></div>
  ${olderHref ? html`<p class="pager"><a class="btn btn-ghost" href="${olderHref}">Older →</a></p>` : ''}`}`;
}
