import type { JobRecord, JobState, QueueRecord } from '@spool/core';
import { STATE_FACTS } from '@spool/core';

import type { SafeHtml } from '../html.js';
import { html } from '../html.js';
import { actionsFor } from '../job-actions.js';
import { count, csrfField, elapsed, emptyState, preview, shortId, stateBadge, time, duration } from './components.js';
import type { PageContext } from './page-context.js';

/** What a job list shows: the filter it was read with and one page of jobs. */
export interface JobListData {
  filter: JobFilter;
  jobs: JobRecord[];
  nextCursor: string | null;
  /** Whether this page is the first (no cursor given). */
  first: boolean;
  queues: QueueRecord[];
  /** The clock of the server, for running times. */
  now: number;
  /** When a text search ran out of time: jobs created before this were not searched. */
  searchedBack?: Date | null;
  /** When the list was too long to sort by name: its size (the page is newest first). */
  sortRefused?: number | null;

}

/** A filter over jobs, as the list pages and bulk actions take it. */
export interface JobFilter {
  state?: JobState;
  queue?: string;
  /** Jobs of this name only (exact). */
  name?: string;
  search?: string;
  from?: Date;
  to?: Date;
  /** Jobs whose lease this server holds (or held last). */
  serverId?: string;
  /** `name`: by job name, newest first within a name; absent: newest first. Text searches stay newest first. */
  order?: 'name';
}

/** The query string of a filter (plus extra fields). */
export function filterQuery(filter: JobFilter, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  if (filter.state) q.set('state', filter.state);
  if (filter.queue) q.set('queue', filter.queue);
  if (filter.name) q.set('name', filter.name);
  if (filter.search) q.set('q', filter.search);
  if (filter.from) q.set('from', filter.from.toISOString());
  if (filter.to) q.set('to', filter.to.toISOString());
  if (filter.serverId) q.set('server', filter.serverId);
  if (filter.order) q.set('sort', filter.order);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

interface Column {
  head: string;
  cls?: string;
  cell: (job: JobRecord) => SafeHtml | string;
}

function columnsFor(ctx: PageContext, state: JobState | undefined, now: number): Column[] {
  const link = (job: JobRecord): SafeHtml => html`<a class="mono" href="${ctx.base}/job/${job.id}" title="${job.id}">${shortId(job.id)}</a>`;
  const name: Column = { head: 'Job', cell: (j) => html`<div class="job-name">${j.name}</div><div class="args mono" title="${preview(j.args, 2000)}">${preview(j.args)}</div>` };
  const base: Column[] = [{ head: 'Id', cell: link }, name];
  switch (state) {
    case 'enqueued':
      return [...base, { head: 'Queue', cell: (j) => j.queue }, { head: 'Priority', cls: 'num', cell: (j) => String(j.priority) }, { head: 'Waiting since', cell: (j) => time(j.updatedAt) }];
    case 'scheduled':
      return [...base, { head: 'Queue', cell: (j) => j.queue }, { head: 'Due', cell: (j) => time(j.runAt) }, { head: 'Attempt', cls: 'num', cell: (j) => `${j.attempt} / ${j.maxAttempts}` }];
    case 'processing':
      return [
        ...base,
        { head: 'Server', cell: (j) => html`<span class="mono small">${j.serverId ?? '—'}</span>` },
        { head: 'Progress', cell: (j) => (j.progress === null ? html`<span class="muted">—</span>` : html`<progress max="100" value="${String(j.progress)}">${String(j.progress)}%</progress> <span class="small">${String(j.progress)}%</span>`) },
        { head: 'Running for', cell: (j) => elapsed(j.startedAt) },
      ];
    case 'succeeded':
      return [
        ...base,
        { head: 'Finished', cell: (j) => time(j.finishedAt) },
        { head: 'Took', cls: 'num', cell: (j) => (j.startedAt && j.finishedAt ? duration(j.finishedAt.getTime() - j.startedAt.getTime()) : '—') },
        { head: 'Result', cell: (j) => html`<span class="mono small">${preview(j.result, 40)}</span>` },
      ];
    case 'failed':
      return [
        ...base,
        { head: 'Error', cell: (j) => (j.error ? html`<div class="error-summary"><strong>${j.error.name}</strong>: ${j.error.message.slice(0, 160)}</div>` : '—') },
        { head: 'Attempts', cls: 'num', cell: (j) => `${j.attempt} / ${j.maxAttempts}` },
        { head: 'Failed', cell: (j) => time(j.finishedAt ?? j.updatedAt) },
      ];
    case 'deleted':
      return [...base, { head: 'Queue', cell: (j) => j.queue }, { head: 'Deleted', cell: (j) => time(j.updatedAt) }];
    case 'awaiting':
      return [
        ...base,
        { head: 'Parent', cell: (j) => (j.parentId ? html`<a class="mono" href="${ctx.base}/job/${j.parentId}">${shortId(j.parentId)}</a>` : '—') },
        { head: 'Runs when parent', cell: (j) => j.continueOn ?? '—' },
        { head: 'Created', cell: (j) => time(j.createdAt) },
      ];
    case undefined:
      return [...base, { head: 'State', cell: (j) => stateBadge(j.state) }, { head: 'Queue', cell: (j) => j.queue }, { head: 'Created', cell: (j) => time(j.createdAt) }];
  }
  void now;
}

/** A table of jobs with selection, bulk actions and cursor paging. */
export function jobsTable(ctx: PageContext, data: JobListData, path: string): SafeHtml {
  const { filter } = data;
  const columns = columnsFor(ctx, filter.state, data.now);
  const actions = ctx.readOnly ? [] : actionsFor(filter.state);
  const cut = data.searchedBack
    ? html`<p class="search-note" data-search-note>Searched jobs created since ${time(data.searchedBack)}, newest first, to answer quickly.
        <a class="btn btn-small btn-ghost" href="${ctx.base}${path}${filterQuery({ ...filter, to: new Date(data.searchedBack.getTime() - 1) })}">Search older jobs →</a></p>`
    : '';
  const refused = data.sortRefused
    ? html`<p class="search-note" data-sort-note>${count(data.sortRefused)} jobs are too many to sort by name, so they are shown newest first. Filter by a job name to see one name's jobs.</p>`
    : '';
  const bulkFilter = data.searchedBack ? { ...filter, from: data.searchedBack } : filter;
  if (data.jobs.length === 0) {
    if (cut) return html`${cut}${emptyState('No matches yet', 'Nothing matched among the jobs searched so far.')}`;
    const hint = filter.search || filter.queue || filter.name || filter.from || filter.to ? 'No job matches this filter. Try a wider time range or another word.' : filter.state ? STATE_FACTS[filter.state].description : 'Jobs appear here as soon as they are enqueued.';
    return emptyState(data.first ? `No ${filter.state ?? 'matching'} jobs` : 'No older jobs', hint);
  }
  const table = html`<div class="table-wrap">
  <table class="table${filter.state === 'failed' ? ' stack-on-phone' : ''}">
    <thead><tr>${actions.length > 0 ? html`<th class="check"><input type="checkbox" aria-label="Select all on this page" data-select-all></th>` : ''}${columns.map((c) => html`<th class="${c.cls ?? ''}">${c.head}</th>`)}</tr></thead>
    <tbody>
    ${data.jobs.map(
      (job) => html`<tr data-job="${job.id}">${actions.length > 0 ? html`<td class="check"><input type="checkbox" name="id" value="${job.id}" aria-label="Select job ${job.id}"></td>` : ''}${columns.map((c) => html`<td class="${c.cls ?? ''}" data-label="${c.head}">${c.cell(job)}</td>`)}</tr>`,
    )}
    </tbody>
  </table>
  </div>`;
  return html`${cut}${refused}
${actions.length === 0 ? table : html`<form method="post" action="${ctx.base}/actions/jobs" class="bulk" data-bulk>
  ${csrfField(ctx)}<input type="hidden" name="back" value="${ctx.self}">
  <div class="bulkbar" data-bulkbar>
      <span class="muted small" data-selected-count>Select jobs to act on them</span>
      ${actions.map((a) => html`<button type="submit" name="action" value="${a.action}" class="btn btn-small${a.danger ? ' btn-danger' : ''}" data-needs-selection disabled>${a.label} selected</button>`)}
      <span class="spacer"></span>
      <details class="menu"><summary class="btn btn-small btn-ghost">All matching</summary>
        <div class="menu-items">${actions.map((a) => html`<a class="${a.danger ? 'danger' : ''}" href="${ctx.base}/confirm${filterQuery(bulkFilter, { action: a.action })}">${a.label} all matching…</a>`)}</div>
      </details>
  </div>
  ${table}
</form>`}
<nav class="pager" aria-label="Pages">
  ${data.first ? html`<span></span>` : html`<a class="btn btn-small btn-ghost" href="${ctx.base}${path}${filterQuery(filter)}">← ${sortedByName(filter, data) ? 'First' : 'Newest'}</a>`}
  <span class="muted small">${count(data.jobs.length)} shown, ${sortedByName(filter, data) ? 'by job name' : 'newest first'}</span>
  ${data.nextCursor ? html`<a class="btn btn-small btn-ghost" rel="next" href="${ctx.base}${path}${filterQuery(filter, { cursor: data.nextCursor })}">${sortedByName(filter, data) ? 'Next' : 'Older'} →</a>` : html`<span></span>`}
</nav>`;
}

/** A page of jobs in one state (enqueued ones per queue). */
export function jobsPage(ctx: PageContext, data: JobListData): SafeHtml {
  const state = data.filter.state!;
  const total = ctx.stats.states[state];
  const queues = state === 'enqueued' ? data.queues : [];
  return html`
<div class="page-head"><h1>${state[0]!.toUpperCase() + state.slice(1)} jobs <span class="count-pill" data-stat="${state}">${count(total)}</span></h1>
<p class="sub">${STATE_FACTS[state].description}</p></div>
${queues.length > 0
  ? html`<div class="chips" aria-label="Queues">
    <a class="chip${data.filter.queue ? '' : ' active'}" href="${ctx.base}/jobs/enqueued">All queues</a>
    ${queues.map((q) => html`<a class="chip${data.filter.queue === q.name ? ' active' : ''}" href="${ctx.base}/jobs/enqueued?queue=${encodeURIComponent(q.name)}">${q.name} <span class="muted">${count(q.enqueued)}</span>${q.paused ? ' (paused)' : ''}</a>`)}
  </div>`
  : ''}
${nameFilter(ctx, data.filter, `/jobs/${state}`)}
${jobsTable(ctx, data, `/jobs/${state}`)}`;
}

/** Whether a list is shown by job name (a text search is always newest first). */
export function sortedByName(filter: JobFilter, data?: { sortRefused?: number | null }): boolean {
  return filter.order === 'name' && !filter.search && !data?.sortRefused;
}

/** The job name filter of a list (an exact name, offered from the names this process knows) and its order. */
function nameFilter(ctx: PageContext, filter: JobFilter, path: string): SafeHtml {
  const listId = 'job-names';
  const byName = sortedByName(filter);
  return html`<form class="name-filter" method="get" action="${ctx.base}${path}" role="search" aria-label="Filter by job name">
  ${filter.queue ? html`<input type="hidden" name="queue" value="${filter.queue}">` : ''}
  ${byName ? html`<input type="hidden" name="sort" value="name">` : ''}
  <label>Job name <input type="search" name="name" value="${filter.name ?? ''}" list="${listId}" placeholder="any name" autocomplete="off" data-name-filter></label>
  <datalist id="${listId}">${ctx.jobNames.map((n) => html`<option value="${n}"></option>`)}</datalist>
  <button class="btn btn-small" type="submit">Filter</button>
  ${filter.name ? html`<a class="btn btn-small btn-ghost" href="${ctx.base}${path}${filterQuery({ ...filter, name: undefined, state: undefined })}">Any name</a>` : ''}
  <span class="chips sort-order" role="group" aria-label="Order">
    <a class="chip${byName ? '' : ' active'}" href="${ctx.base}${path}${filterQuery({ ...filter, order: undefined, state: undefined })}"${byName ? '' : html` aria-current="true"`} data-sort="newest">Newest first</a>
    <a class="chip${byName ? ' active' : ''}" href="${ctx.base}${path}${filterQuery({ ...filter, order: 'name', state: undefined })}"${byName ? html` aria-current="true"` : ''} data-sort="name">By job name</a>
  </span>
</form>`;
}
