import type { QueueRecord, TimeSeriesPoint } from '@spool/core';
import { JOB_STATES, STATE_FACTS } from '@spool/core';

import type { SafeHtml } from '../html.js';
import { html } from '../html.js';
import { count, time } from './components.js';
import type { PageContext } from './page-context.js';

/** Data of the overview. */
export interface OverviewData {
  hourly: TimeSeriesPoint[];
  daily: TimeSeriesPoint[];
  queues: QueueRecord[];
}

const series = (points: TimeSeriesPoint[]): string => JSON.stringify(points.map((p) => [p.at.getTime(), p.succeeded, p.failed]));

/** The overview: counts per state, live throughput, and the history of outcomes per hour and day. */
export function overviewPage(ctx: PageContext, data: OverviewData): SafeHtml {
  const { states } = ctx.stats;
  const total = (s: TimeSeriesPoint[], k: 'succeeded' | 'failed'): number => s.reduce((a, p) => a + p[k], 0);
  return html`
<div class="page-head"><h1>Overview</h1><p class="sub">Every job in storage, by state. Counts update live.</p></div>
<section class="cards" aria-label="Jobs per state">
  ${JOB_STATES.map(
    (s) => html`<a class="card stat state-${s}" href="${ctx.base}/jobs/${s}" title="${STATE_FACTS[s].description}">
      <span class="stat-label"><span class="dot state-${s}" aria-hidden="true"></span>${s}</span>
      <span class="stat-value" data-stat="${s}">${count(states[s])}</span></a>`,
  )}
</section>
<section class="grid-2">
  <div class="panel">
    <div class="panel-head"><h2>Throughput</h2><span class="muted small">jobs finished per second, live</span></div>
    <div class="chart" data-chart="throughput" role="img" aria-label="Live throughput graph"><p class="muted small chart-wait">Measuring…</p></div>
  </div>
  <div class="panel">
    <div class="panel-head"><h2>Queues</h2><a class="small" href="${ctx.base}/queues">All queues →</a></div>
    ${data.queues.length === 0
      ? html`<p class="muted">No queue holds jobs yet.</p>`
      : html`<div class="scroll-x"><table class="table compact"><thead><tr><th>Queue</th><th class="num">Enqueued</th><th>Oldest waiting since</th></tr></thead><tbody>
        ${data.queues.slice(0, 6).map((q) => html`<tr><td><a href="${ctx.base}/jobs/enqueued?queue=${encodeURIComponent(q.name)}">${q.name}</a>${q.paused ? html` <span class="badge paused">paused</span>` : ''}</td><td class="num">${count(q.enqueued)}</td><td>${time(q.oldestEnqueuedAt)}</td></tr>`)}
      </tbody></table></div>`}
  </div>
</section>
<section class="panel">
  <div class="panel-head"><h2>History</h2>
    <div class="tabs" role="tablist">
      <button type="button" role="tab" class="tab" aria-selected="true" data-history-tab="hourly">Last 24 hours</button>
      <button type="button" role="tab" class="tab" aria-selected="false" data-history-tab="daily">Last 30 days</button>
    </div>
  </div>
  <p class="legend"><span class="key key-succeeded"></span>Succeeded <strong data-history-total="succeeded">${count(total(data.hourly, 'succeeded'))}</strong> <span class="key key-failed"></span>Failed <strong data-history-total="failed">${count(total(data.hourly, 'failed'))}</strong> <span class="muted small">in the last 24 hours</span></p>
  <div class="chart tall" data-chart="history" data-hourly="${series(data.hourly)}" data-daily="${series(data.daily)}" role="img" aria-label="Succeeded and failed jobs per hour and per day"></div>
</section>`;
}
