import type { JobRecord, QueueRecord, RecurringRecord, ServerRecord } from '@spool/core';
import { CronSchedule, parseCron } from '@spool/core';

import { describeCron } from '../cron-description.js';
import type { SafeHtml } from '../html.js';
import { html } from '../html.js';
import { actionButton, count, duration, emptyState, shortId, stateBadge, time } from './components.js';
import type { PageContext } from './page-context.js';

/** A recurring job with the outcome of its last run. */
export interface RecurringRow {
  record: RecurringRecord;
  lastJob: JobRecord | null;
}

/** Recurring jobs: schedule in plain words, next and last run, and what to do with each. */
export function recurringPage(ctx: PageContext, rows: RecurringRow[], truncated: boolean): SafeHtml {
  return html`
<div class="page-head"><h1>Recurring jobs <span class="count-pill">${count(ctx.stats.recurring)}</span></h1><p class="sub">Jobs created on a cron schedule. Each occurrence fires once across all servers.</p></div>
${rows.length === 0
  ? emptyState('No recurring jobs', html`Add one with <code>spool.recurring.addOrUpdate(id, job, args, { cron })</code>.`)
  : html`<div class="table-wrap"><table class="table recurring-table">
  <thead><tr><th>Id</th><th>Schedule</th><th>Next run</th><th>Last run</th><th class="actions-col">Actions</th></tr></thead>
  <tbody>${rows.map(({ record: r, lastJob }) => {
    const plain = describeCron(r.cron);
    const rule = dayRule(r);
    const extras = [
      r.settings.overlap === 'allow' ? '' : `overlap: ${r.settings.overlap}`,
      r.settings.jitterMs > 0 ? `jitter ${duration(r.settings.jitterMs)}` : '',
      r.settings.maxRuns === null ? '' : `runs ${r.runs} of ${r.settings.maxRuns}`,
    ].filter((e) => e !== '');
    const upcoming = upcomingRuns(r, 3);
    return html`<tr id="r-${r.id}">
      <td><div class="job-name recurring-id">${r.id}</div><div class="muted small">${r.name} → ${r.queue}</div></td>
      <td><div>${plain ?? r.cron}</div><div class="muted small"><code>${r.cron}</code> · ${r.timezone}</div>${rule ? html`<div class="muted small">${rule}</div>` : ''}${extras.length > 0 ? html`<div class="muted small">${extras.join(' · ')}</div>` : ''}</td>
      <td>${r.paused ? html`<span class="badge paused">paused</span>` : time(r.nextRunAt)}${upcoming.length > 0 ? html`<div class="muted small">then ${upcoming.map((d) => time(d))}</div>` : ''}</td>
      <td>${time(r.lastRunAt, 'never')}${r.lastJobId ? html`<div class="small"><a class="mono" href="${ctx.base}/job/${r.lastJobId}">${shortId(r.lastJobId)}</a> ${lastJob ? stateBadge(lastJob.state) : html`<span class="muted">expired</span>`}</div>` : ''}</td>
      <td class="actions-col">
        ${actionButton(ctx, 'recurring', { id: r.id, action: 'trigger' }, 'Trigger now')}
        ${r.paused ? actionButton(ctx, 'recurring', { id: r.id, action: 'resume' }, 'Resume', { quiet: true }) : actionButton(ctx, 'recurring', { id: r.id, action: 'pause' }, 'Pause', { quiet: true })}
        ${actionButton(ctx, 'recurring', { id: r.id, action: 'remove' }, 'Delete', { danger: true, confirm: `Delete recurring job ${r.id}? Jobs it already created stay.` })}
      </td></tr>`;
  })}</tbody></table></div>
  ${truncated ? html`<p class="muted small">Showing the first ${count(rows.length)} recurring jobs by id.</p>` : ''}`}`;
}

/**
 * How the expression's day fields combine, when both are restricted: the one place where reading
 * the expression alone is ambiguous between Hangfire's and classic cron's rule.
 */
function dayRule(r: RecurringRecord): string | null {
  try {
    const parsed = parseCron(r.cron, r.settings.dayMatch);
    if (parsed.dayOfMonth.kind === 'any' || parsed.dayOfWeek.kind === 'any') return null;
    return r.settings.dayMatch === 'and' ? 'Days matching both the day of month and the day of week' : 'Days matching the day of month or the day of week';
  } catch {
    return null;
  }
}

/** The runs after the next one (no jitter shown), computed here: no storage call. */
function upcomingRuns(r: RecurringRecord, count: number): Date[] {
  if (r.paused || r.nextRunAt === null) return [];
  try {
    return CronSchedule.parse(r.cron, r.timezone, 'recurring', r.settings.dayMatch)
      .nextN(r.nextRunAt, count - 1)
      .filter((d) => r.settings.endAt === null || d.getTime() <= r.settings.endAt.getTime());
  } catch {
    return [];
  }
}

/** Live servers: heartbeat age, queues, concurrency and running jobs. */
export function serversPage(ctx: PageContext, servers: ServerRecord[], now: number): SafeHtml {
  return html`
<div class="page-head"><h1>Servers <span class="count-pill">${count(servers.length)}</span></h1><p class="sub">Processes running jobs, as their heartbeats announce them.</p></div>
${servers.length === 0
  ? emptyState('No server is running', html`Start one with <code>spool.startServer()</code> or <code>spool worker</code>. Enqueued jobs wait until one runs.`)
  : html`<div class="table-wrap"><table class="table">
  <thead><tr><th>Server</th><th>Queues</th><th class="num">Running</th><th>Heartbeat</th><th>Started</th></tr></thead>
  <tbody>${servers.map((s) => {
    const age = now - s.heartbeatAt.getTime();
    return html`<tr>
      <td><div class="mono small"><a href="${ctx.base}/search?server=${encodeURIComponent(s.id)}&amp;state=processing">${s.id}</a></div><div class="muted small">${s.hostname} · pid ${String(s.pid)}</div></td>
      <td>${s.queues.map((q) => html`<span class="chip static">${q}</span>`)}</td>
      <td class="num"><span class="meter-text">${String(s.running)} / ${String(s.concurrency)}</span><meter min="0" max="${String(s.concurrency)}" value="${String(s.running)}"></meter></td>
      <td><span class="${age > 30_000 ? 'warn' : 'ok'}">${duration(age)} ago</span></td>
      <td>${time(s.startedAt)}</td></tr>`;
  })}</tbody></table></div>`}`;
}

/** Queues: length, the oldest job's wait, pause and resume. */
export function queuesPage(ctx: PageContext, queues: QueueRecord[], now: number): SafeHtml {
  return html`
<div class="page-head"><h1>Queues</h1><p class="sub">Every queue that holds jobs or is paused. Servers skip paused queues.</p></div>
${queues.length === 0
  ? emptyState('No queues yet', 'A queue appears when a job is enqueued into it.')
  : html`<div class="table-wrap"><table class="table">
  <thead><tr><th>Queue</th><th class="num">Enqueued</th><th>Oldest job waiting</th><th>Status</th><th class="actions-col">Actions</th></tr></thead>
  <tbody>${queues.map(
    (q) => html`<tr>
      <td><a href="${ctx.base}/jobs/enqueued?queue=${encodeURIComponent(q.name)}">${q.name}</a></td>
      <td class="num">${count(q.enqueued)}</td>
      <td>${q.oldestEnqueuedAt ? html`${duration(now - q.oldestEnqueuedAt.getTime())} <span class="muted small">(since ${time(q.oldestEnqueuedAt)})</span>` : html`<span class="muted">empty</span>`}</td>
      <td>${q.paused ? html`<span class="badge paused">paused</span>` : html`<span class="badge running">active</span>`}</td>
      <td class="actions-col">${q.paused ? actionButton(ctx, 'queues', { queue: q.name, action: 'resume' }, 'Resume') : actionButton(ctx, 'queues', { queue: q.name, action: 'pause' }, 'Pause')}</td></tr>`,
  )}</tbody></table></div>`}`;
}

/** A page that says something went wrong or is not there. */
export function messagePage(title: string, text: string): SafeHtml {
  return html`<div class="page-head"><h1>${title}</h1></div>${emptyState(title, text)}`;
}
