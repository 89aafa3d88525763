import type { JobMetricsReport, JobMetricsRow, JobMetricsWindow } from '@spool/core';

import type { SafeHtml } from '../html.js';
import { html } from '../html.js';
import { count, duration, emptyState } from './components.js';
import type { PageContext } from './page-context.js';

/** The columns the metrics table sorts by, with what each reads of a row. */
export const METRICS_SORTS = {
  name: (r: JobMetricsRow) => r.name,
  queue: (r: JobMetricsRow) => r.queue,
  succeeded: (r: JobMetricsRow) => r.succeededPerMinute,
  failed: (r: JobMetricsRow) => r.failedPerMinute,
  failureRate: (r: JobMetricsRow) => r.failureRate,
  waitP50: (r: JobMetricsRow) => r.wait.p50,
  waitP95: (r: JobMetricsRow) => r.wait.p95,
  waitP99: (r: JobMetricsRow) => r.wait.p99,
  runP50: (r: JobMetricsRow) => r.run.p50,
  runP95: (r: JobMetricsRow) => r.run.p95,
  runP99: (r: JobMetricsRow) => r.run.p99,
} as const;

/** A column to sort the metrics table by. */
export type MetricsSort = keyof typeof METRICS_SORTS;

/** How the metrics page is asked for: window, sort column and direction. */
export interface MetricsView {
  window: JobMetricsWindow;
  sort: MetricsSort;
  descending: boolean;
}

/** The view a query asks for; unknown values fall back to the last hour by job name. */
export function metricsView(query: URLSearchParams): MetricsView {
  const sort = query.get('sort') ?? 'name';
  return {
    window: query.get('window') === 'day' ? 'day' : 'hour',
    sort: Object.prototype.hasOwnProperty.call(METRICS_SORTS, sort) ? (sort as MetricsSort) : 'name',
    descending: query.get('dir') === 'desc',
  };
}

/** The rows in the view's order; rows without a value (nothing observed) go last either way. */
export function sortRows(rows: readonly JobMetricsRow[], view: MetricsView): JobMetricsRow[] {
  const read = METRICS_SORTS[view.sort] as (r: JobMetricsRow) => string | number | null;
  return [...rows].sort((a, b) => {
    const x = read(a);
    const y = read(b);
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    const order = x < y ? -1 : x > y ? 1 : 0;
    return view.descending ? -order : order;
  });
}

/** A time percentile for the table. */
function ms(value: number | null): string {
  if (value === null) return '—';
  return value < 1 ? '< 1 ms' : duration(value);
}

function rate(perMinute: number): string {
  return perMinute === 0 ? '0' : perMinute >= 100 ? count(Math.round(perMinute)) : perMinute.toFixed(2);
}

/** The table's sortable columns: a header row of groups above the row of columns. */
const GROUPS: ReadonlyArray<{ label: string; columns: ReadonlyArray<{ sort: MetricsSort; label: string; num: boolean }> }> = [
  { label: '', columns: [{ sort: 'name', label: 'Job name', num: false }] },
  { label: '', columns: [{ sort: 'queue', label: 'Queue', num: false }] },
  { label: 'Per minute', columns: [{ sort: 'succeeded', label: 'succeeded', num: true }, { sort: 'failed', label: 'failed', num: true }] },
  { label: '', columns: [{ sort: 'failureRate', label: 'Failure rate', num: true }] },
  { label: 'Wait', columns: [{ sort: 'waitP50', label: 'p50', num: true }, { sort: 'waitP95', label: 'p95', num: true }, { sort: 'waitP99', label: 'p99', num: true }] },
  { label: 'Run', columns: [{ sort: 'runP50', label: 'p50', num: true }, { sort: 'runP95', label: 'p95', num: true }, { sort: 'runP99', label: 'p99', num: true }] },
];

/** Throughput, failure rate and wait and run time percentiles per job name and queue, with a chart of outcomes. */
export function metricsPage(ctx: PageContext, report: JobMetricsReport, view: MetricsView): SafeHtml {
  const href = (v: Partial<MetricsView>): string => {
    const next = { ...view, ...v };
    return `${ctx.base}/metrics?window=${next.window}&sort=${next.sort}${next.descending ? '&dir=desc' : ''}`;
  };
  const rows = sortRows(report.rows, view);
  const kind = report.period;
  const points = JSON.stringify(report.points.map((p) => [p.at.getTime(), p.succeeded, p.failed]));
  const totals = report.rows.reduce((t, r) => ({ succeeded: t.succeeded + r.succeeded, failed: t.failed + r.failed + r.retried }), { succeeded: 0, failed: 0 });
  const span = view.window === 'hour' ? 'the last hour, per minute' : 'the last day, per hour';
  return html`
<div class="page-head"><h1>Metrics</h1><p class="sub">Throughput, failure rate and wait and run times per job name and queue, from the counts servers add to storage every few seconds.</p></div>
<section class="panel">
  <div class="panel-head"><h2>Outcomes</h2>
    <nav class="tabs" aria-label="Window">
      <a class="tab" href="${href({ window: 'hour' })}" aria-selected="${String(view.window === 'hour')}" data-window="hour">Last hour</a>
      <a class="tab" href="${href({ window: 'day' })}" aria-selected="${String(view.window === 'day')}" data-window="day">Last day</a>
    </nav>
  </div>
  <p class="legend"><span class="key key-succeeded"></span>Succeeded <strong>${count(totals.succeeded)}</strong> <span class="key key-failed"></span>Failed attempts <strong>${count(totals.failed)}</strong> <span class="muted small">in ${span}</span></p>
  <div class="chart tall" data-chart="outcomes" data-kind="${kind}" data-points="${points}" role="img" aria-label="Succeeded and failed attempts in ${span}"></div>
</section>
<section class="panel">
  <div class="panel-head"><h2>By job name</h2><span class="muted small">wait: from due to start · run: from start to the recorded outcome · percentiles within about 10 %</span></div>
  ${rows.length === 0
    ? emptyState('Nothing measured yet', html`Servers add what they ran every few seconds; jobs that finished in ${span.split(',')[0]} appear here.`)
    : html`<div class="table-wrap"><table class="table compact metrics-table" data-metrics>
  <thead><tr class="group-row">${GROUPS.map((g) => html`<th colspan="${String(g.columns.length)}" class="group">${g.label}</th>`)}</tr>
  <tr>${GROUPS.flatMap((g) => g.columns).map((c) => {
    const active = view.sort === c.sort;
    const arrow = active ? (view.descending ? ' ↓' : ' ↑') : '';
    // Numbers sort largest first on the first click: the busiest, slowest or most failing on top.
    return html`<th class="${c.num ? 'num' : ''}"${active ? html` aria-sort="${view.descending ? 'descending' : 'ascending'}"` : ''}><a href="${href({ sort: c.sort, descending: active ? !view.descending : c.num })}" data-sort="${c.sort}">${c.label}${arrow}</a></th>`;
  })}</tr></thead>
  <tbody>${rows.map(
    (r) => html`<tr data-metrics-row="${r.name}">
      <td><a class="job-name" href="${ctx.base}/search?name=${encodeURIComponent(r.name)}">${r.name}</a></td>
      <td><a href="${ctx.base}/jobs/enqueued?queue=${encodeURIComponent(r.queue)}">${r.queue}</a></td>
      <td class="num" title="${count(r.succeeded)} succeeded">${rate(r.succeededPerMinute)}</td>
      <td class="num" title="${count(r.failed)} failed, ${count(r.retried)} retried">${rate(r.failedPerMinute)}</td>
      <td class="num">${r.failureRate === null ? '—' : `${(r.failureRate * 100).toFixed(1)} %`}</td>
      <td class="num">${ms(r.wait.p50)}</td><td class="num">${ms(r.wait.p95)}</td><td class="num">${ms(r.wait.p99)}</td>
      <td class="num">${ms(r.run.p50)}</td><td class="num">${ms(r.run.p95)}</td><td class="num">${ms(r.run.p99)}</td>
    </tr>`,
  )}</tbody></table></div>`}
</section>`;
}
