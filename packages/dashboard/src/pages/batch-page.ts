import type { BatchView, JobRecord, JobState } from '@spool/core';
import { JOB_STATES, PARENTS_PARAMETER, STATE_FACTS, STEP_PARAMETER } from '@spool/core';

import type { SafeHtml } from '../html.js';
import { html } from '../html.js';
import { actionButton, count, csrfField, emptyState, shortId, stateBadge, time } from './components.js';
import type { PageContext } from './page-context.js';

/** What the batch page shows. */
export interface BatchPageData {
  batch: BatchView;
  /** One page of the batch's own jobs, newest first (in `state` when a filter is set). */
  jobs: readonly JobRecord[];
  nextCursor: string | null;
  state: JobState | null;
  /** Batches nested in this one. */
  nested: readonly BatchView[];
  /** Continuations that still wait for this batch. */
  continuations: readonly JobRecord[];
}

/** The progress bar of a batch: succeeded, failed and pending shares of its total. */
function progressBar(batch: BatchView): SafeHtml {
  const share = (n: number): string => (batch.total === 0 ? '0' : ((100 * n) / batch.total).toFixed(2));
  return html`<div class="batch-progress" role="img" aria-label="${count(batch.finished)} of ${count(batch.total)} finished" data-batch-progress>
    <svg viewBox="0 0 100 4" preserveAspectRatio="none" width="100%" height="12">
      <rect x="0" y="0" width="${share(batch.succeeded)}" height="4" class="bar-succeeded"></rect>
      <rect x="${share(batch.succeeded)}" y="0" width="${share(batch.failed)}" height="4" class="bar-failed"></rect>
    </svg></div>`;
}

/** Every batch and flow, newest first. */
export function batchesPage(ctx: PageContext, batches: readonly BatchView[], olderHref: string | null): SafeHtml {
  return html`
<div class="page-head"><h1>Batches and flows</h1><p class="sub">Groups and graphs of jobs created in one commit, with their progress counted by their members' writes.</p></div>
${batches.length === 0
  ? emptyState('No batch yet', html`Batches appear here when <code>spool.batch</code> or <code>spool.flow</code> creates one.`)
  : html`<div class="table-wrap"><table class="table" data-batches>
  <thead><tr><th>Id</th><th>Description</th><th>Status</th><th class="num">Finished</th><th class="num">Failed</th><th>Created</th></tr></thead>
  <tbody>${batches.map(
    (b) => html`<tr data-batch="${b.id}">
      <td><a class="mono" href="${ctx.base}/batch/${b.id}" title="${b.id}">${shortId(b.id)}</a></td>
      <td>${b.description ?? html`<span class="muted">—</span>`}</td>
      <td><span class="badge batch-${b.status}">${b.status}</span></td>
      <td class="num">${count(b.finished)} / ${count(b.total)}</td>
      <td class="num">${count(b.failed)}</td>
      <td>${time(b.createdAt)}</td>
    </tr>`,
  )}</tbody></table></div>
  ${olderHref ? html`<p class="pager"><a class="btn btn-ghost" href="${olderHref}">Older →</a></p>` : ''}`}`;
}

/** One batch or flow: progress, its jobs by state with actions on them, nested batches, continuations, and a flow's graph. */
export function batchPage(ctx: PageContext, data: BatchPageData): SafeHtml {
  const { batch } = data;
  const self = `${ctx.base}/batch/${batch.id}`;
  const steps = data.jobs.filter((j) => typeof j.parameters[STEP_PARAMETER] === 'string');
  return html`
<div class="page-head">
  <h1>${batch.description ?? `Batch ${shortId(batch.id)}`}</h1>
  <p class="sub mono">${batch.id}${batch.parentBatchId ? html` · nested in <a href="${ctx.base}/batch/${batch.parentBatchId}">${shortId(batch.parentBatchId)}</a>` : ''}</p>
</div>
<section class="card" data-batch-summary>
  <p><span class="badge batch-${batch.status}" data-batch-status>${batch.status}</span>
    <strong data-batch-finished>${count(batch.finished)}</strong> of <strong>${count(batch.total)}</strong> finished:
    <span data-batch-succeeded>${count(batch.succeeded)}</span> succeeded, <span data-batch-failed>${count(batch.failed)}</span> failed or deleted,
    <span data-batch-pending>${count(batch.pending)}</span> to go. Created ${time(batch.createdAt)}${batch.finishedAt ? html`, finished ${time(batch.finishedAt)}` : ''}${batch.cancelledAt ? html`, cancelled ${time(batch.cancelledAt)}` : ''}.</p>
  ${progressBar(batch)}
  <p class="actions">
    ${batch.status === 'running' ? actionButton(ctx, 'batches', { action: 'cancel', id: batch.id }, 'Cancel batch', { danger: true, confirm: 'Delete every unfinished job of this batch (running ones are aborted)?' }) : ''}
    ${batch.failed > 0 ? actionButton(ctx, 'batches', { action: 'retry-failed', id: batch.id }, 'Retry failed jobs') : ''}
  </p>
</section>
${steps.length > 0 && data.state === null && data.nextCursor === null ? flowGraph(ctx, steps) : ''}
${data.nested.length > 0 ? html`<section><h2>Nested batches</h2><ul data-nested>${data.nested.map((n) => html`<li><a href="${ctx.base}/batch/${n.id}">${n.description ?? shortId(n.id)}</a> <span class="badge batch-${n.status}">${n.status}</span> ${count(n.finished)} / ${count(n.total)}</li>`)}</ul></section>` : ''}
${data.continuations.length > 0 ? html`<section><h2>Continuations waiting</h2><ul data-continuations>${data.continuations.map((j) => html`<li><a class="mono" href="${ctx.base}/job/${j.id}">${shortId(j.id)}</a> ${j.name}</li>`)}</ul></section>` : ''}
<section>
  <h2>Jobs</h2>
  <nav class="tabs" aria-label="Jobs by state">
    <a href="${self}"${data.state === null ? html` aria-current="page" class="active"` : ''}>All</a>
    ${JOB_STATES.map((s) => html`<a href="${self}?state=${s}"${data.state === s ? html` aria-current="page" class="active"` : ''}>${s}</a>`)}
  </nav>
  ${data.jobs.length === 0
    ? emptyState(`No ${data.state ?? ''} jobs in this batch`, data.state ? STATE_FACTS[data.state].description : 'Its members are nested batches.')
    : html`<form method="post" action="${ctx.base}/actions/jobs" class="bulk" data-bulk>
    ${csrfField(ctx)}<input type="hidden" name="back" value="${ctx.self}">
    ${ctx.readOnly ? '' : html`<div class="bulkbar" data-bulkbar><span class="muted small" data-selected-count>Select jobs to act on them</span>
      <button type="submit" name="action" value="retry" class="btn btn-small" data-needs-selection disabled>Retry selected</button>
      <button type="submit" name="action" value="requeue" class="btn btn-small" data-needs-selection disabled>Requeue selected</button>
      <button type="submit" name="action" value="delete" class="btn btn-small btn-danger" data-needs-selection disabled>Delete selected</button></div>`}
    <div class="table-wrap"><table class="table" data-batch-jobs>
      <thead><tr>${ctx.readOnly ? '' : html`<th class="check"><input type="checkbox" aria-label="Select all on this page" data-select-all></th>`}<th>Id</th><th>Job</th><th>Step</th><th>State</th><th>Updated</th></tr></thead>
      <tbody>${data.jobs.map(
        (j) => html`<tr data-job="${j.id}">${ctx.readOnly ? '' : html`<td class="check"><input type="checkbox" name="id" value="${j.id}" aria-label="Select job ${j.id}"></td>`}
          <td><a class="mono" href="${ctx.base}/job/${j.id}" title="${j.id}">${shortId(j.id)}</a></td><td>${j.name}</td>
          <td>${typeof j.parameters[STEP_PARAMETER] === 'string' ? (j.parameters[STEP_PARAMETER] as string) : html`<span class="muted">—</span>`}</td>
          <td>${stateBadge(j.state)}</td><td>${time(j.updatedAt)}</td></tr>`,
      )}</tbody></table></div></form>
    ${data.nextCursor ? html`<p class="pager"><a class="btn btn-small btn-ghost" rel="next" href="${self}?${data.state ? `state=${data.state}&` : ''}cursor=${encodeURIComponent(data.nextCursor)}">Older →</a></p>` : ''}`}
</section>`;
}

const BOX_W = 150;
const BOX_H = 40;
const GAP_X = 60;
const GAP_Y = 20;

/**
 * A flow's graph, drawn on the server as SVG (no script: the CSP forbids inline ones): each step a
 * box in the column of its depth (the longest path from a step without parents), coloured by its
 * state, with a line from each parent to its children.
 */
export function flowGraph(ctx: PageContext, steps: readonly JobRecord[]): SafeHtml {
  const byName = new Map(steps.map((j) => [j.parameters[STEP_PARAMETER] as string, j]));
  const parentsOf = (job: JobRecord): string[] => {
    const named = job.parameters[PARENTS_PARAMETER];
    return typeof named === 'object' && named !== null && !Array.isArray(named) ? Object.keys(named).filter((n) => byName.has(n)) : [];
  };
  const depth = new Map<string, number>();
  const depthOf = (name: string, seen: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0;
    seen.add(name);
    const parents = parentsOf(byName.get(name)!);
    const d = parents.length === 0 ? 0 : 1 + Math.max(...parents.map((p) => depthOf(p, seen)));
    depth.set(name, d);
    return d;
  };
  for (const name of byName.keys()) depthOf(name, new Set());
  const columns = new Map<number, string[]>();
  for (const name of [...byName.keys()].sort()) {
    const d = depth.get(name)!;
    columns.set(d, [...(columns.get(d) ?? []), name]);
  }
  const place = new Map<string, { x: number; y: number }>();
  for (const [d, names] of columns) names.forEach((name, i) => place.set(name, { x: d * (BOX_W + GAP_X), y: i * (BOX_H + GAP_Y) }));
  const width = Math.max(...[...place.values()].map((p) => p.x)) + BOX_W;
  const height = Math.max(...[...place.values()].map((p) => p.y)) + BOX_H;
  const edges = [...byName.entries()].flatMap(([name, job]) =>
    parentsOf(job).map((parent) => {
      const from = place.get(parent)!;
      const to = place.get(name)!;
      return html`<line x1="${String(from.x + BOX_W)}" y1="${String(from.y + BOX_H / 2)}" x2="${String(to.x)}" y2="${String(to.y + BOX_H / 2)}" class="flow-edge" data-edge="${parent}->${name}"></line>`;
    }),
  );
  return html`<section><h2>Flow</h2><div class="flow-graph"><svg viewBox="-2 -2 ${String(width + 4)} ${String(height + 4)}" width="${String(width + 4)}" height="${String(height + 4)}" role="img" aria-label="The flow's steps and their dependencies" data-flow-graph>
    ${edges}
    ${[...byName.entries()].map(([name, job]) => {
      const p = place.get(name)!;
      return html`<a href="${ctx.base}/job/${job.id}"><g data-step="${name}" data-step-state="${job.state}" class="flow-step state-${job.state}">
        <rect x="${String(p.x)}" y="${String(p.y)}" width="${String(BOX_W)}" height="${String(BOX_H)}" rx="6"></rect>
        <text x="${String(p.x + 8)}" y="${String(p.y + 17)}">${name}</text>
        <text x="${String(p.x + 8)}" y="${String(p.y + 32)}" class="small">${job.state}</text></g></a>`;
    })}
  </svg></div></section>`;
}
