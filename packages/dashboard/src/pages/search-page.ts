import { JOB_STATES } from '@spool/core';

import type { SafeHtml } from '../html.js';
import { html } from '../html.js';
import type { JobAction } from '../job-actions.js';
import { count, csrfField } from './components.js';
import type { JobFilter, JobListData } from './jobs-page.js';
import { jobsTable } from './jobs-page.js';
import type { PageContext } from './page-context.js';

/** The search page: by id, name, argument text, state and creation time range. */
export function searchPage(ctx: PageContext, data: JobListData | null, filter: JobFilter): SafeHtml {
  const iso = (d: Date | undefined): string => (d ? d.toISOString() : '');
  return html`
<div class="page-head"><h1>Search</h1><p class="sub">Find jobs by id, by name or by text in their arguments, in one state and a creation time range.</p></div>
<form class="panel search-form" method="get" action="${ctx.base}/search" data-search-form>
  <label class="grow">Text<input type="search" name="q" value="${filter.search ?? ''}" placeholder="job id, name, or argument text" autofocus></label>
  <label>State<select name="state"><option value="">any</option>${JOB_STATES.map((s) => html`<option value="${s}"${filter.state === s ? html` selected` : ''}>${s}</option>`)}</select></label>
  <label>Queue<input type="text" name="queue" value="${filter.queue ?? ''}" placeholder="any"></label>
  <label>Job name<input type="text" name="name" value="${filter.name ?? ''}" placeholder="any" list="search-names" autocomplete="off"></label>
  <datalist id="search-names">${ctx.jobNames.map((n) => html`<option value="${n}"></option>`)}</datalist>
  <label>Created from<input type="datetime-local" data-local-for="from" value=""><input type="hidden" name="from" value="${iso(filter.from)}"></label>
  <label>to<input type="datetime-local" data-local-for="to" value=""><input type="hidden" name="to" value="${iso(filter.to)}"></label>
  <label>Order<select name="sort" title="A text search is always newest first"><option value="">newest first</option><option value="name"${filter.order === 'name' ? html` selected` : ''}>by job name</option></select></label>
  ${filter.serverId ? html`<input type="hidden" name="server" value="${filter.serverId}">` : ''}
  <button class="btn" type="submit">Search</button>
</form>
${data === null ? '' : jobsTable(ctx, data, '/search')}`;
}

/** Asks before a bulk action on every job matching a filter (or on a selection). */
export function confirmPage(ctx: PageContext, request: { action: JobAction; filter?: JobFilter; ids?: string[]; matching: number; exact: boolean; limit: number }): SafeHtml {
  const { action, filter, ids } = request;
  const what = ids ? `${count(ids.length)} selected job${ids.length === 1 ? '' : 's'}` : `${request.exact ? '' : 'at least '}${count(request.matching)} job${request.matching === 1 ? '' : 's'}`;
  const describe = filter
    ? [filter.state ? `in state ${filter.state}` : 'in any state', filter.queue ? `in queue ${filter.queue}` : '', filter.name ? `named ${filter.name}` : '', filter.search ? `matching “${filter.search}”` : '', filter.from ? `created from ${filter.from.toISOString()}` : '', filter.to ? `until ${filter.to.toISOString()}` : '']
        .filter(Boolean)
        .join(', ')
    : '';
  const back = filter?.state ? `${ctx.base}/jobs/${filter.state}` : `${ctx.base}/`;
  return html`
<div class="page-head"><h1>${action[0]!.toUpperCase() + action.slice(1)} ${what}?</h1>
<p class="sub">${describe ? `Every job ${describe}.` : ''} ${action === 'delete' ? 'Deleted jobs stop running and are removed after their retention.' : ''}</p></div>
<section class="panel confirm">
  ${!ids && request.matching > request.limit ? html`<p class="warn">One request changes at most ${count(request.limit)} jobs; run it again for the rest.</p>` : ''}
  ${request.matching === 0 && !ids ? html`<p>Nothing matches this filter.</p>` : html`
  <form method="post" action="${ctx.base}/actions/${ids ? 'jobs' : 'bulk'}">
    ${csrfField(ctx)}
    <input type="hidden" name="action" value="${action}"><input type="hidden" name="confirmed" value="1">
    ${ids ? ids.map((id) => html`<input type="hidden" name="id" value="${id}">`) : ''}
    ${filter?.state ? html`<input type="hidden" name="state" value="${filter.state}">` : ''}
    ${filter?.queue ? html`<input type="hidden" name="queue" value="${filter.queue}">` : ''}
    ${filter?.name ? html`<input type="hidden" name="name" value="${filter.name}">` : ''}
    ${filter?.search ? html`<input type="hidden" name="q" value="${filter.search}">` : ''}
    ${filter?.from ? html`<input type="hidden" name="from" value="${filter.from.toISOString()}">` : ''}
    ${filter?.to ? html`<input type="hidden" name="to" value="${filter.to.toISOString()}">` : ''}
    <input type="hidden" name="back" value="${back}">
    <button class="btn${action === 'delete' ? ' btn-danger' : ''}" type="submit" data-confirm-submit>Yes, ${action} ${what}</button>
    <a class="btn btn-ghost" href="${back}">Cancel</a>
  </form>`}
</section>`;
}
