import type { DeadLetterFilter, DeadLetterGroup, JobRecord } from '@spool/core';

import type { SafeHtml } from '../html.js';
import { html } from '../html.js';
import { count, csrfField, emptyState, preview, shortId, time } from './components.js';
import type { PageContext } from './page-context.js';

/** What the dead letters page shows. */
export interface DeadLettersData {
  /** Null when the storage keeps no dead letters (capability `deadLetters`). */
  groups: DeadLetterGroup[] | null;
  filter: DeadLetterFilter;
  jobs: JobRecord[];
  nextCursor: string | null;
  first: boolean;
}

/** The query string of a dead-letter filter, with extra parameters. */
export function deadLetterQuery(filter: DeadLetterFilter, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  if (filter.name) params.set('name', filter.name);
  if (filter.errorName) params.set('error', filter.errorName);
  if (filter.message) params.set('message', filter.message);
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** A form of hidden fields that redrives every dead letter of a filter, asking first. */
function redriveMatching(ctx: PageContext, filter: DeadLetterFilter, label: string, matching: number): SafeHtml {
  if (ctx.readOnly) return html``;
  return html`<form method="post" action="${ctx.base}/actions/dead-letters" class="inline" data-confirm="Redrive ${count(matching)} dead letters to their queues?">
    ${csrfField(ctx)}<input type="hidden" name="action" value="redrive-matching"><input type="hidden" name="back" value="${ctx.self}">
    ${filter.name ? html`<input type="hidden" name="name" value="${filter.name}">` : ''}
    ${filter.errorName ? html`<input type="hidden" name="error" value="${filter.errorName}">` : ''}
    ${filter.message ? html`<input type="hidden" name="message" value="${filter.message}">` : ''}
    <button type="submit" class="btn btn-small" data-redrive-matching>${label}</button>
  </form>`;
}

/**
 * The dead letters: counts by job name and error (each with a redrive of the group), a filter, and
 * the matching jobs with a redrive of a selection and an edit-arguments form per job.
 */
export function deadLettersPage(ctx: PageContext, data: DeadLettersData): SafeHtml {
  const head = html`<div class="page-head"><h1>Dead letters</h1><p class="sub">Failed jobs whose attempts ran out under a definition with <code>onExhausted: 'dead-letter'</code>, by job name and error. A redrive sends them back to their queues as fresh jobs; their history keeps the failure.</p></div>`;
  if (data.groups === null) return html`${head}${emptyState('Not kept by this storage', 'This storage keeps no dead letters (it lacks the deadLetters capability); exhausted jobs stay failed.')}`;
  const { filter } = data;
  const groups =
    data.groups.length === 0
      ? emptyState('No dead letters', 'Jobs of definitions with onExhausted: \u2018dead-letter\u2019 appear here when their attempts run out.')
      : html`<section class="panel"><h2>By job name and error</h2><div class="table-wrap"><table class="table" data-dead-letter-groups>
  <thead><tr><th>Job name</th><th>Error</th><th class="num">Count</th><th>Latest</th><th></th></tr></thead>
  <tbody>${data.groups.map(
    (g) => html`<tr data-group="${g.name}|${g.errorName}">
      <td><a href="${ctx.base}/dead-letters${deadLetterQuery({ name: g.name })}">${g.name}</a></td>
      <td><a href="${ctx.base}/dead-letters${deadLetterQuery({ name: g.name, errorName: g.errorName })}"><code>${g.errorName || '—'}</code></a></td>
      <td class="num" data-group-count>${count(g.count)}</td><td>${time(g.lastAt)}</td>
      <td>${redriveMatching(ctx, { name: g.name, errorName: g.errorName }, 'Redrive all', g.count)}</td>
    </tr>`,
  )}</tbody></table></div></section>`;
  const filterForm = html`<form class="name-filter" method="get" action="${ctx.base}/dead-letters" role="search" aria-label="Filter dead letters">
  <label>Job name <input type="search" name="name" value="${filter.name ?? ''}" placeholder="any name" autocomplete="off"></label>
  <label>Error <input type="search" name="error" value="${filter.errorName ?? ''}" placeholder="any error" autocomplete="off"></label>
  <label>Message contains <input type="search" name="message" value="${filter.message ?? ''}" placeholder="any text" autocomplete="off"></label>
  <button class="btn btn-small" type="submit">Filter</button>
</form>`;
  const filtered = Boolean(filter.name || filter.errorName || filter.message);
  const list =
    data.jobs.length === 0
      ? filtered || !data.first ? emptyState('No matching dead letters', 'No dead letter matches this filter.') : html``
      : html`<form method="post" action="${ctx.base}/actions/dead-letters" class="bulk" data-bulk>
  ${csrfField(ctx)}<input type="hidden" name="back" value="${ctx.self}">
  ${ctx.readOnly ? '' : html`<div class="bulkbar" data-bulkbar>
    <span class="muted small" data-selected-count>Select dead letters to redrive them</span>
    <button type="submit" name="action" value="redrive" class="btn btn-small" data-needs-selection disabled>Redrive selected</button>
  </div>`}
  <div class="table-wrap"><table class="table" data-dead-letters>
    <thead><tr>${ctx.readOnly ? '' : html`<th class="check"><input type="checkbox" aria-label="Select all on this page" data-select-all></th>`}<th>Job</th><th>Name</th><th>Error</th><th>Message</th><th>Arguments</th><th>Dead-lettered</th><th></th></tr></thead>
    <tbody>${data.jobs.map(
      (job) => html`<tr data-job="${job.id}">
        ${ctx.readOnly ? '' : html`<td class="check"><input type="checkbox" name="id" value="${job.id}" aria-label="Select job ${job.id}"></td>`}
        <td><a class="mono" href="${ctx.base}/job/${job.id}" title="${job.id}">${shortId(job.id)}</a></td>
        <td>${job.name}</td><td><code>${job.error?.name ?? '—'}</code></td>
        <td class="small">${clip(job.error?.message ?? '', 120)}</td>
        <td class="mono small">${preview(job.args, 40)}</td><td>${time(job.deadLetteredAt)}</td>
        <td>${ctx.readOnly ? '' : html`<a class="btn btn-small btn-ghost" href="${ctx.base}/dead-letters/edit?id=${job.id}" data-edit-args title="Redrive with edited arguments">Edit…</a>`}</td>
      </tr>`,
    )}</tbody></table></div>
</form>
<nav class="pager" aria-label="Pages">
  ${data.first ? html`<span></span>` : html`<a class="btn btn-small btn-ghost" href="${ctx.base}/dead-letters${deadLetterQuery(filter)}">← Newest</a>`}
  <span class="muted small">${count(data.jobs.length)} shown, newest first ${filtered ? redriveMatching(ctx, filter, 'Redrive all matching', data.jobs.length) : ''}</span>
  ${data.nextCursor ? html`<a class="btn btn-small btn-ghost" rel="next" href="${ctx.base}/dead-letters${deadLetterQuery(filter, { cursor: data.nextCursor })}">Older →</a>` : html`<span></span>`}
</nav>`;
  return html`${head}${groups}${filterForm}${list}`;
}

/** The edit-then-replay form of one dead letter: its arguments as JSON, checked before they are sent. */
export function deadLetterEditPage(ctx: PageContext, job: JobRecord, args: string, error: string | null): SafeHtml {
  return html`<div class="page-head"><h1>Redrive with edited arguments</h1>
<p class="sub">Job <a class="mono" href="${ctx.base}/job/${job.id}">${shortId(job.id)}</a> (${job.name}) goes back to its queue with the arguments below; its history keeps the original ones and the failure: <code>${job.error?.name ?? ''}</code> ${job.error?.message ?? ''}</p></div>
${error ? html`<div class="notice error-notice" role="alert" data-redrive-error>${error}</div>` : ''}
<section class="panel">
<form method="post" action="${ctx.base}/actions/dead-letters" class="enqueue-form" data-redrive-form>
  ${csrfField(ctx)}<input type="hidden" name="action" value="redrive-edited"><input type="hidden" name="id" value="${job.id}">
  <input type="hidden" name="back" value="${ctx.base}/dead-letters">
  <label>Arguments (JSON) <textarea name="args" rows="10" spellcheck="false" class="mono" data-args-json>${args}</textarea></label>
  <p class="muted small" data-args-check aria-live="polite"></p>
  <button class="btn" type="submit">Redrive with these arguments</button>
</form>
</section>`;
}

/** A text cut to `max` characters for a table cell. */
function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
