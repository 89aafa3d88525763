import type { ErrorRecord, HistoryRecord, JobDetails, JobRecord, Json, PayloadSlot } from '@spool/core';
import { payloadKey, payloadReference, readStartDeadline } from '@spool/core';

import type { SafeHtml } from '../html.js';
import { html } from '../html.js';
import { actionsFor } from '../job-actions.js';
import { changePanel } from './change-panel.js';
import { actionButton, bytes, duration, elapsed, emptyState, jsonBlock, shortId, stateBadge, time } from './components.js';
import type { PageContext } from './page-context.js';
import { stackTrace } from './stack-trace.js';

/** One job's page data: details plus the continuations found waiting for it. */
export interface JobPageData {
  details: JobDetails;
  continuations: JobRecord[];
  /** Why the job waits (the first limit that holds it), or null. */
  waitReason?: string | null;
}

function errorBlock(error: ErrorRecord, depth = 0): SafeHtml {
  return html`<div class="error-block">
    <div class="error-title"><strong>${error.name}</strong>${error.code ? html` <span class="badge code">${error.code}</span>` : ''}: ${error.message}</div>
    ${error.stack ? html`<details${depth === 0 ? html` open` : ''}><summary>Stack trace</summary>${stackTrace(error.stack)}</details>` : ''}
    ${error.cause && depth < 5 ? html`<div class="cause"><span class="muted small">Caused by</span>${errorBlock(error.cause, depth + 1)}</div>` : ''}
  </div>`;
}

function isErrorRecord(value: unknown): value is ErrorRecord {
  return typeof value === 'object' && value !== null && typeof (value as ErrorRecord).name === 'string' && typeof (value as ErrorRecord).message === 'string';
}

function timelineEntry(entry: HistoryRecord): SafeHtml {
  const data = entry.data && typeof entry.data === 'object' && !Array.isArray(entry.data) ? entry.data : null;
  const error = data && isErrorRecord(data.error) ? data.error : null;
  const rest = data ? Object.fromEntries(Object.entries(data).filter(([k]) => k !== 'error')) : null;
  return html`<li class="tl-item state-${entry.state}">
    <span class="tl-dot" aria-hidden="true"></span>
    <div class="tl-body">
      <div class="tl-head">${stateBadge(entry.state)} <span class="tl-reason">${entry.reason}</span> <span class="tl-time">${time(entry.at)}</span></div>
      ${entry.serverId ? html`<div class="muted small">on server <span class="mono">${entry.serverId}</span></div>` : ''}
      ${error ? errorBlock(error) : ''}
      ${rest && Object.keys(rest).length > 0 ? html`<div class="tl-data mono small">${JSON.stringify(rest)}</div>` : ''}
    </div>
  </li>`;
}

/**
 * A job's arguments or result: inline as JSON, or, stored by reference in the file store, its size
 * and a download link (the value may be megabytes: the page does not read it).
 */
function valueBlock(ctx: PageContext, job: JobRecord, slot: PayloadSlot, value: Json): SafeHtml {
  const reference = payloadReference(value);
  if (reference === null) return jsonBlock(value);
  return html`<div class="payload-ref" data-payload="${slot}">
    <p class="small">Stored by reference in the file store: <strong>${bytes(reference.bytes)}</strong> of JSON
      (<span class="mono">${String(reference.bytes)}</span> bytes).</p>
    <p class="small muted mono">${payloadKey(job.id, reference)}</p>
    <p><a class="btn btn-ghost btn-small" href="${ctx.base}/job/${job.id}/payload/${slot}" download>Download ${slot === 'args' ? 'arguments' : 'result'}</a></p>
  </div>`;
}

/** The page of one job: what it is, what it did, and what can be done with it. */
export function jobPage(ctx: PageContext, data: JobPageData): SafeHtml {
  const { job, history, logs } = data.details;
  const fact = (label: string, value: SafeHtml | string | number): SafeHtml => html`<div class="fact"><dt>${label}</dt><dd>${typeof value === 'number' ? String(value) : value}</dd></div>`;
  const actions = actionsFor(job.state);
  const deadline = readStartDeadline(job.parameters);
  return html`
<div class="page-head job-head">
  <div>
    <p class="crumbs"><a href="${ctx.base}/jobs/${job.state}">${job.state} jobs</a> / <span class="mono">${shortId(job.id)}</span></p>
    <h1><span class="job-title">${job.name}</span> <span data-job-state>${stateBadge(job.state)}</span>${job.deadLetteredAt ? html` <a class="badge" href="${ctx.base}/dead-letters?name=${encodeURIComponent(job.name)}" title="Dead-lettered ${job.deadLetteredAt.toISOString()}" data-dead-letter>dead letter</a>` : ''}</h1>
    <p class="sub mono small">${job.id}</p>
  </div>
  <div class="actions">
    ${actions.map((a) => actionButton(ctx, 'jobs', { id: job.id, action: a.action }, a.label, { danger: a.danger, confirm: a.danger ? `${a.label} job ${job.name}?` : undefined }))}
    ${job.deadLetteredAt && !ctx.readOnly ? html`${actionButton(ctx, 'dead-letters', { id: job.id, action: 'redrive' }, 'Redrive')}<a class="btn btn-ghost btn-small" href="${ctx.base}/dead-letters/edit?id=${job.id}" data-edit-args>Edit and redrive…</a>` : ''}
    ${ctx.readOnly ? '' : html`<a class="btn btn-ghost btn-small" href="${ctx.base}/enqueue?from=${job.id}" data-clone>Clone…</a>`}
  </div>
</div>
<div class="job-grid" data-job-id="${job.id}" data-job-updated="${job.updatedAt.toISOString()}" data-job-logs="${String(logs.length)}">
  <div class="col-main">
    ${job.state === 'processing' || job.progress !== null
      ? html`<section class="panel"><div class="panel-head"><h2>Progress</h2><span class="small" data-progress-text>${job.progress === null ? 'not reported' : `${job.progress}%`}</span></div>
        <progress class="progress-lg" max="100" value="${String(job.progress ?? 0)}" data-progress>${String(job.progress ?? 0)}%</progress></section>`
      : ''}
    ${data.waitReason ? html`<section class="panel" data-wait-reason><div class="panel-head"><h2>Waiting</h2><span class="muted small">flow control, read from storage</span></div><p>${data.waitReason}</p></section>` : ''}
    ${job.error ? html`<section class="panel danger"><div class="panel-head"><h2>Error</h2></div>${errorBlock(job.error)}</section>` : ''}
    <section class="panel"><div class="panel-head"><h2>Arguments</h2></div>${valueBlock(ctx, job, 'args', job.args)}</section>
    ${changePanel(ctx, job)}
    ${job.state === 'succeeded' || job.result !== null ? html`<section class="panel"><div class="panel-head"><h2>Result</h2></div>${valueBlock(ctx, job, 'result', job.result)}</section>` : ''}
    <section class="panel"><div class="panel-head"><h2>Logs</h2><span class="muted small">persisted by the job's <span class="mono">ctx.log</span></span></div>
      <ol class="logs" data-logs>
        ${logs.length === 0 ? html`<li class="muted log-empty">No log lines yet.</li>` : ''}
        ${logs.map((l) => html`<li class="log log-${l.level}"><span class="log-time">${time(l.at)}</span><span class="log-level">${l.level}</span><span class="log-attempt" title="attempt">#${String(l.attempt)}</span><span class="log-msg">${l.message}</span></li>`)}
      </ol>
    </section>
    <section class="panel"><div class="panel-head"><h2>State history</h2><span class="muted small">oldest first</span></div>
      <ol class="timeline">${history.map(timelineEntry)}</ol>
    </section>
  </div>
  <aside class="col-side">
    <section class="panel"><dl class="facts">
      ${fact('Queue', html`<a href="${ctx.base}/jobs/enqueued?queue=${encodeURIComponent(job.queue)}">${job.queue}</a>`)}
      ${fact('Priority', job.priority)}
      ${fact('Attempt', `${job.attempt} of ${job.maxAttempts}`)}
      ${job.rescues > 0 ? fact('Rescued', job.rescues) : ''}
      ${fact('Created', time(job.createdAt))}
      ${job.runAt ? fact('Due', time(job.runAt)) : ''}
      ${deadline && job.attempt === 0 ? fact('Start by', html`<span data-start-by>${time(new Date(deadline.dueAt + deadline.ttlMs))}</span> <span class="muted small">then ${deadline.onExpire === 'delete' ? 'deleted' : 'failed'}</span>`) : ''}
      ${fact('Started', time(job.startedAt))}
      ${job.state === 'processing' ? fact('Running for', elapsed(job.startedAt)) : fact('Finished', time(job.finishedAt))}
      ${job.serverId ? fact('Server', html`<span class="mono small">${job.serverId}</span>`) : ''}
      ${fact('Expires', time(job.expiresAt, 'never'))}
      ${job.timeoutMs !== null ? fact('Timeout', duration(job.timeoutMs)) : ''}
      ${job.uniqueKey ? fact('Unique key', html`<span class="mono">${job.uniqueKey}</span>`) : ''}
      ${job.recurringId ? fact('Recurring', html`<a href="${ctx.base}/recurring#r-${job.recurringId}">${job.recurringId}</a>`) : ''}
    </dl></section>
    <section class="panel"><div class="panel-head"><h2>Parameters</h2></div>
      ${Object.keys(job.parameters).length === 0 ? html`<p class="muted small">None.</p>` : html`<dl class="facts">${Object.entries(job.parameters).map(([k, v]) => fact(k, html`<span class="mono small">${JSON.stringify(v)}</span>`))}</dl>`}
    </section>
    <section class="panel"><div class="panel-head"><h2>Continuations</h2></div>
      ${job.parentId ? html`<p class="small">Continues <a class="mono" href="${ctx.base}/job/${job.parentId}">${shortId(job.parentId)}</a> when it ${job.continueOn ?? 'succeeded'}.</p>` : ''}
      ${data.continuations.length === 0
        ? job.parentId ? '' : emptyState('No waiting continuations', 'Jobs added with continueWith() wait here until this job finishes.')
        : html`<ul class="plain">${data.continuations.map((c) => html`<li><a class="mono" href="${ctx.base}/job/${c.id}">${shortId(c.id)}</a> ${c.name} <span class="muted small">on ${c.continueOn ?? ''}</span></li>`)}</ul>`}
    </section>
  </aside>
</div>`;
}
