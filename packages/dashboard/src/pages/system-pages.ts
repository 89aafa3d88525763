import type { JobRecord, JobState, LimitView, QueueRecord, RecurringEvent, RecurringHistoryRecord, RecurringRecord, ServerRecord } from '@spool/core';
import { BACKFILL_LIMIT, CronSchedule, describeLimits, parseCron, scopeId } from '@spool/core';

import { describeCron } from '../cron-description.js';
import type { SafeHtml } from '../html.js';
import { html } from '../html.js';
import { actionButton, count, csrfField, duration, emptyState, shortId, stateBadge, time } from './components.js';
import type { PageContext } from './page-context.js';

/** A recurring job with the outcome of its last run. */
export interface RecurringRow {
  record: RecurringRecord;
  lastJob: JobRecord | null;
  /** The latest occurrences its scheduler handled, latest first, from its history. */
  previous: RecurringHistoryRecord[];
  /** The state now of each job the previous entries name (absent: expired). */
  states: ReadonlyMap<string, JobState>;
}

/** The events of a recurring job's history that are occurrences its scheduler handled. */
export const OCCURRENCE_EVENTS: ReadonlySet<RecurringEvent> = new Set<RecurringEvent>(['fired', 'queued', 'skipped', 'missed']);

/** A history event as a badge: what happened, in one word. */
function eventBadge(event: RecurringEvent): SafeHtml {
  return html`<span class="badge event-${event}">${event}</span>`;
}

/** The job a history entry names, linked, with its state now (or "expired"). */
function entryJob(ctx: PageContext, e: RecurringHistoryRecord, states: ReadonlyMap<string, JobState>): SafeHtml {
  if (e.jobId === null) return html``;
  const state = states.get(e.jobId);
  const label = e.event === 'skipped' ? 'previous run ' : '';
  return html`<span class="small">${label}<a class="mono" href="${ctx.base}/job/${e.jobId}">${shortId(e.jobId)}</a> ${state ? stateBadge(state) : html`<span class="muted">expired</span>`}</span>`;
}

/** In the list, what became of a previous occurrence's job, briefly: its state, or why it was skipped. */
function previousState(e: RecurringHistoryRecord, states: ReadonlyMap<string, JobState>): SafeHtml {
  if (e.jobId === null) return html``;
  const state = states.get(e.jobId);
  if (e.event === 'skipped') return html` <span class="muted small">previous run ${state ?? 'expired'}</span>`;
  return html` ${state ? stateBadge(state) : html`<span class="muted small">expired</span>`}`;
}

/** The occurrence (or range) a history entry is about. */
function entryOccurrence(e: RecurringHistoryRecord): SafeHtml {
  if (e.occurrence === null) return html`<span class="muted">outside the schedule</span>`;
  if (e.from !== null && e.from.getTime() !== e.occurrence.getTime()) return html`${time(e.from)} <span class="muted">to</span> ${time(e.occurrence)}`;
  return time(e.occurrence);
}

/** A link to one recurring job's page. */
function recurringHref(ctx: PageContext, id: string): string {
  return `${ctx.base}/recurring/detail?id=${encodeURIComponent(id)}`;
}

/** Recurring jobs: schedule in plain words, next and last run, and what to do with each. */
export function recurringPage(ctx: PageContext, rows: RecurringRow[], truncated: boolean): SafeHtml {
  return html`
<div class="page-head"><h1>Recurring jobs <span class="count-pill">${count(ctx.stats.recurring)}</span></h1><p class="sub">Jobs created on a cron schedule. Each occurrence fires once across all servers.</p></div>
${rows.length === 0
  ? emptyState('No recurring jobs', html`Add one with <code>spool.recurring.addOrUpdate(id, job, args, { cron })</code>.`)
  : html`<div class="table-wrap"><table class="table recurring-table">
  <thead><tr><th>Id</th><th>Schedule</th><th>Next run</th><th>Last run</th><th class="actions-col">Actions</th></tr></thead>
  <tbody>${rows.map(({ record: r, lastJob, previous, states }) => {
    const plain = describeCron(r.cron);
    const rule = dayRule(r);
    const extras = [
      r.settings.overlap === 'allow' ? '' : `overlap: ${r.settings.overlap}`,
      r.settings.jitterMs > 0 ? `jitter ${duration(r.settings.jitterMs)}` : '',
      r.settings.maxRuns === null ? '' : `runs ${r.runs} of ${r.settings.maxRuns}`,
    ].filter((e) => e !== '');
    const upcoming = upcomingRuns(r, 3);
    return html`<tr id="r-${r.id}">
      <td><div class="job-name recurring-id"><a href="${recurringHref(ctx, r.id)}">${r.id}</a></div><div class="muted small">${r.name} → ${r.queue}</div><div class="small"><a href="${recurringHref(ctx, r.id)}${ctx.readOnly ? '' : '#backfill'}" data-detail>${ctx.readOnly ? 'History' : 'History and backfill'}</a></div></td>
      <td><div>${plain ?? r.cron}</div><div class="muted small"><code>${r.cron}</code> · ${r.timezone}</div>${r.settings.override ? html`<div class="small" data-override>set by ${r.settings.override.setBy ?? 'an operator'}, over the code's <code>${r.settings.override.code.cron}</code></div>` : ''}${rule ? html`<div class="muted small">${rule}</div>` : ''}${extras.length > 0 ? html`<div class="muted small">${extras.join(' · ')}</div>` : ''}</td>
      <td>${r.paused ? html`<span class="badge paused">paused</span>` : time(r.nextRunAt)}${upcoming.length > 0 ? html`<div class="muted small">then ${upcoming.map((d, i) => html`${i > 0 ? ', ' : ''}${time(d)}`)}</div>` : ''}</td>
      <td>${time(r.lastRunAt, 'never')}${r.lastJobId ? html`<div class="small"><a class="mono" href="${ctx.base}/job/${r.lastJobId}">${shortId(r.lastJobId)}</a> ${lastJob ? stateBadge(lastJob.state) : html`<span class="muted">expired</span>`}</div>` : ''}
        <div class="previous" data-previous>${previous.length === 0
          ? html`<span class="muted small">no occurrence handled yet</span>`
          : html`<div class="muted small">previous occurrences</div><ul class="occurrences compact">${previous.map((e) => html`<li data-outcome="${e.event}" title="${e.reason}">${eventBadge(e.event)} ${time(e.occurrence)}${previousState(e, states)}</li>`)}</ul>`}</div></td>
      <td class="actions-col">
        ${actionButton(ctx, 'recurring', { id: r.id, action: 'trigger' }, 'Trigger now')}
        ${r.paused ? actionButton(ctx, 'recurring', { id: r.id, action: 'resume' }, 'Resume', { quiet: true }) : actionButton(ctx, 'recurring', { id: r.id, action: 'pause' }, 'Pause', { quiet: true })}
        ${actionButton(ctx, 'recurring', { id: r.id, action: 'remove' }, 'Delete', { danger: true, confirm: `Delete recurring job ${r.id}? Jobs it already created stay.` })}
      </td></tr>`;
  })}</tbody></table></div>
  ${truncated ? html`<p class="muted small">Showing the first ${count(rows.length)} recurring jobs by id.</p>` : ''}`}`;
}

/**
 * Who set the schedule in force: the code (each server's `addOrUpdate`) or an operator, whose
 * schedule wins until reset; and, unless read-only, the form that edits it.
 */
function scheduleSection(ctx: PageContext, r: RecurringRecord): SafeHtml {
  const o = r.settings.override ?? null;
  const origin = o
    ? html`<p data-schedule-origin="operator">Set by <strong>${o.setBy ?? 'an operator'}</strong> ${time(o.setAt)}, over the code's <code>${o.code.cron}</code> · ${o.code.timezone}. It stays in force across deploys until reset.</p>`
    : html`<p class="muted" data-schedule-origin="code">The code's schedule (set by <code>addOrUpdate</code> at each server start). A schedule saved here wins over it, across deploys, until reset.</p>`;
  return html`<section class="panel" id="schedule">
  <div class="panel-head"><h2>Schedule</h2></div>
  ${origin}
  ${ctx.readOnly
    ? ''
    : html`<form method="post" action="${ctx.base}/actions/recurring" class="search-form" data-schedule-form>
    ${csrfField(ctx)}<input type="hidden" name="id" value="${r.id}"><input type="hidden" name="action" value="schedule"><input type="hidden" name="back" value="${ctx.self}">
    <label>Cron<input name="cron" required value="${r.cron}" spellcheck="false" autocomplete="off"></label>
    <label>Time zone<input name="timezone" required value="${r.timezone}" spellcheck="false" autocomplete="off"></label>
    <label class="check"><input type="checkbox" name="paused" value="1"${r.paused ? html` checked` : ''}> Paused</label>
    <button type="submit" class="btn">Save schedule</button>
  </form>
  ${o ? actionButton(ctx, 'recurring', { id: r.id, action: 'reset-schedule' }, 'Reset to code', { quiet: true, confirm: `Go back to the code's schedule ${o.code.cron} (${o.code.timezone}) for ${r.id}?` }) : ''}`}
</section>`;
}

/** What one recurring job's page shows. */
export interface RecurringDetail {
  record: RecurringRecord;
  next: Date[];
  history: RecurringHistoryRecord[];
  states: ReadonlyMap<string, JobState>;
  /** The storage's time: the backfill form's range ends here by default. */
  now: number;
}

/** A time as a `datetime-local` value in UTC, to the second. */
function utcInput(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19);
}

/**
 * One recurring job: its schedule, next runs, its history (each occurrence the scheduler fired,
 * queued, skipped or missed, and the triggers and backfills) and the backfill form.
 */
export function recurringDetailPage(ctx: PageContext, d: RecurringDetail): SafeHtml {
  const r = d.record;
  const plain = describeCron(r.cron);
  const rule = dayRule(r);
  const settings = [
    `overlap: ${r.settings.overlap}`,
    `misfire: ${r.misfire}`,
    r.settings.jitterMs > 0 ? `jitter ${Math.round(r.settings.jitterMs / 1000)} s` : '',
    r.settings.maxRuns === null ? '' : `runs ${r.runs} of ${r.settings.maxRuns}`,
  ].filter((e) => e !== '');
  return html`
<div class="page-head"><h1>${r.id} ${r.paused ? html`<span class="badge paused">paused</span>` : ''}</h1><p class="sub">${r.name} → ${r.queue} · <a href="${ctx.base}/recurring">all recurring jobs</a></p></div>
<section class="panel" data-recurring="${r.id}">
  <div class="recurring-facts">
    <div><div class="muted small">Schedule</div><div>${plain ?? r.cron}</div><div class="muted small"><code>${r.cron}</code> · ${r.timezone}</div>${rule ? html`<div class="muted small">${rule}</div>` : ''}<div class="muted small">${settings.join(' · ')}</div></div>
    <div><div class="muted small">Next runs</div>${d.next.length === 0 ? html`<span class="muted">${r.paused ? 'paused' : 'none'}</span>` : html`<ul class="occurrences" data-next>${d.next.map((at) => html`<li>${time(at)}</li>`)}</ul>`}</div>
    <div><div class="muted small">Last run</div>${time(r.lastRunAt, 'never')}</div>
  </div>
  <div class="actions">
    ${actionButton(ctx, 'recurring', { id: r.id, action: 'trigger' }, 'Trigger now')}
    ${r.paused ? actionButton(ctx, 'recurring', { id: r.id, action: 'resume' }, 'Resume', { quiet: true }) : actionButton(ctx, 'recurring', { id: r.id, action: 'pause' }, 'Pause', { quiet: true })}
  </div>
</section>
${scheduleSection(ctx, r)}
${ctx.readOnly ? '' : html`<section class="panel" id="backfill">
  <div class="panel-head"><h2>Backfill</h2></div>
  <p class="muted small">Runs each occurrence of the range once, now. An occurrence that already has a job, from the schedule or an earlier backfill, is not run again. The range ends at now at the latest and holds at most ${count(BACKFILL_LIMIT)} occurrences. Times are UTC.</p>
  <form method="post" action="${ctx.base}/actions/recurring" class="search-form" data-backfill data-confirm="${`Run every occurrence of ${r.id} in this range now? Occurrences that already have a job are not run again.`}">
    ${csrfField(ctx)}<input type="hidden" name="id" value="${r.id}"><input type="hidden" name="action" value="backfill"><input type="hidden" name="back" value="${ctx.self}">
    <label>From (UTC)<input type="datetime-local" name="from" step="1" required value="${utcInput(d.now - 86_400_000)}"></label>
    <label>To (UTC)<input type="datetime-local" name="to" step="1" required value="${utcInput(d.now)}"></label>
    <button type="submit" class="btn">Run backfill</button>
  </form>
</section>`}
<section class="panel">
  <div class="panel-head"><h2>History</h2><span class="muted small">newest first; the latest 100 entries are kept</span></div>
  <p class="muted small">What the scheduler did with each occurrence (fired, queued behind the previous run, skipped because the previous run was unfinished, missed while no server ran), and the triggers and backfills asked for.</p>
  ${d.history.length === 0
    ? emptyState('Nothing yet', 'Entries appear as the scheduler fires, queues, skips or misses occurrences.')
    : html`<div class="table-wrap"><table class="table" data-history>
  <thead><tr><th>Event</th><th>Occurrence</th><th>Job</th><th>Reason</th><th>When</th></tr></thead>
  <tbody>${d.history.map((e) => html`<tr data-event="${e.event}"><td>${eventBadge(e.event)}</td><td>${entryOccurrence(e)}</td><td>${entryJob(ctx, e, d.states)}</td><td class="small">${e.reason}</td><td>${time(e.at)}</td></tr>`)}</tbody></table></div>`}
</section>`;
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

/** Queues: length, the oldest job's wait, pause and resume; and the flow-control limits in force. */
export function queuesPage(
  ctx: PageContext,
  queues: QueueRecord[],
  limits: LimitView[],
  now: number,
  waiting: ReadonlyMap<string, number> = new Map(),
  flowControl = true,
): SafeHtml {
  // A bounded queue's row says how full it is: "3 of 10" (its maxSize in force).
  const bounds = new Map(limits.flatMap((l) => ('queue' in l.scope && l.inForce.maxSize !== null ? [[l.scope.queue, l.inForce.maxSize] as const] : [])));
  const bound = (queue: string) => {
    const max = bounds.get(queue);
    return max === undefined ? '' : html` <span class="muted small" data-bound="${queue}">of ${count(max)}</span>`;
  };
  return html`
<div class="page-head"><h1>Queues</h1><p class="sub">Every queue that holds jobs or is paused. Servers skip paused queues.</p></div>
${queues.length === 0
  ? emptyState('No queues yet', 'A queue appears when a job is enqueued into it.')
  : html`<div class="table-wrap"><table class="table">
  <thead><tr><th>Queue</th><th class="num">Enqueued</th><th>Oldest job waiting</th><th>Status</th><th class="actions-col">Actions</th></tr></thead>
  <tbody>${queues.map(
    (q) => html`<tr>
      <td><a href="${ctx.base}/jobs/enqueued?queue=${encodeURIComponent(q.name)}">${q.name}</a></td>
      <td class="num">${count(q.enqueued)}${bound(q.name)}</td>
      <td>${q.oldestEnqueuedAt ? html`${duration(now - q.oldestEnqueuedAt.getTime())} <span class="muted small">(since ${time(q.oldestEnqueuedAt)})</span>` : html`<span class="muted">empty</span>`}</td>
      <td>${q.paused ? html`<span class="badge paused">paused</span>` : html`<span class="badge running">active</span>`}</td>
      <td class="actions-col">${q.paused ? actionButton(ctx, 'queues', { queue: q.name, action: 'resume' }, 'Resume') : actionButton(ctx, 'queues', { queue: q.name, action: 'pause' }, 'Pause')}${flowControl && !bounds.has(q.name) && !limits.some((l) => 'queue' in l.scope && l.scope.queue === q.name) ? limitsLink(ctx, `queue:${q.name}`, 'Limits') : ''}</td></tr>`,
  )}</tbody></table></div>`}
${flowControl ? limitsTable(ctx, limits, now, waiting) : ''}`;
}

/** The limits of queues and job names: what is in force, which layer, who set it, how many run and wait. */
function limitsTable(ctx: PageContext, limits: LimitView[], now: number, waiting: ReadonlyMap<string, number>): SafeHtml {
  if (limits.length === 0 && ctx.readOnly) return html``;
  return html`<section class="panel limits"><div class="panel-head"><h2>Limits</h2>${ctx.readOnly ? '' : html`<a class="btn btn-small" href="${ctx.base}/limits/edit" data-add-limits>Set limits</a>`}</div>
<p class="muted small">Flow control across every server: a job held back by a limit waits in its queue without taking a server's slot. An operator's limits (set here or with <code>spool limits set</code>) win over the code's until cleared.</p>
${limits.length === 0 ? html`<p class="muted">No queue or job name has limits.</p>` : html`<div class="table-wrap"><table class="table">
  <thead><tr><th>Scope</th><th>In force</th><th>Set by</th><th class="num">Running</th><th class="num" title="enqueued jobs of the scope, held back or not yet claimed">Waiting</th>${ctx.readOnly ? '' : html`<th class="actions-col">Actions</th>`}</tr></thead>
  <tbody>${limits.map(
    (l) => html`<tr>
      <td><span class="chip static">${'queue' in l.scope ? 'queue' : 'job'}</span> ${'queue' in l.scope ? l.scope.queue : l.scope.job}</td>
      <td>${describeLimits(l.inForce)}${l.source === 'operator' && l.code ? html`<div class="muted small">code: ${describeLimits(l.code)}</div>` : ''}</td>
      <td>${l.source === 'operator' && l.operator
        ? html`operator${l.operator.setBy ? html` <strong>${l.operator.setBy}</strong>` : ''} <span class="muted small">${duration(now - l.operator.setAt.getTime())} ago</span>`
        : html`<span class="muted">code</span>`}</td>
      <td class="num" data-scope="${scopeId(l.scope)}">${count(l.running)}</td>
      <td class="num" data-waiting="${scopeId(l.scope)}">${waitingCount(waiting.get(scopeId(l.scope)) ?? 0)}</td>${ctx.readOnly
        ? ''
        : html`<td class="actions-col">${limitsLink(ctx, scopeId(l.scope), 'Edit')}${l.operator
            ? actionButton(ctx, 'limits', { scope: scopeId(l.scope), action: 'clear' }, 'Clear', { quiet: true, confirm: `Clear the operator's limits of ${scopeId(l.scope)}?` })
            : ''}</td>`}</tr>`,
  )}</tbody></table></div>`}</section>`;
}

/** A link to the limits form of a scope (none on a read-only dashboard). */
function limitsLink(ctx: PageContext, scope: string, label: string): SafeHtml {
  return ctx.readOnly ? html`` : html` <a class="btn btn-ghost btn-small" href="${ctx.base}/limits/edit?scope=${encodeURIComponent(scope)}" data-limits-link="${scope}">${label}</a>`;
}

/** Most enqueued jobs of a job name counted for the queues page's limits: beyond, it says "1,000+". */
export const LIMIT_WAITING_SCAN = 1000;

/** A waiting count, "1,000+" past what the page reads of a job name's jobs. */
function waitingCount(n: number): string {
  return n > LIMIT_WAITING_SCAN ? `${count(LIMIT_WAITING_SCAN)}+` : count(n);
}

/** A page that says something went wrong or is not there. */
export function messagePage(title: string, text: string): SafeHtml {
  return html`<div class="page-head"><h1>${title}</h1></div>${emptyState(title, text)}`;
}
