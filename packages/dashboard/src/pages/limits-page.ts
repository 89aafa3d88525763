import type { LimitsText, LimitsTextLabels, LimitView } from '@spool/core';
import { describeLimits } from '@spool/core';

import type { SafeHtml } from '../html.js';
import { html } from '../html.js';
import { actionButton, csrfField } from './components.js';
import type { PageContext } from './page-context.js';

/** The form's fields as the problems of a refused save name them. */
export const LIMIT_FIELD_LABELS: LimitsTextLabels = {
  concurrency: 'Concurrency',
  rate: 'Rate',
  perKeyConcurrency: 'Per-key concurrency',
  perKeyRate: 'Per-key rate',
  onLocked: 'When a key is held',
  maxSize: 'Most enqueued',
};

const fact = (label: string, value: SafeHtml | string): SafeHtml => html`<div class="fact"><dt>${label}</dt><dd>${value}</dd></div>`;

/** What the limits form shows: the scope, the texts to start from, what is stored, why the last save was refused. */
export interface LimitsFormData {
  /** `queue:<name>` or `job:<name>`; blank for a scope that has no limits yet (typed in the form). */
  scope: string;
  fields: Required<{ [K in keyof LimitsText]: string }>;
  /** The scope's limits as stored, if it has any. */
  view: LimitView | null;
  error: string | null;
}

/**
 * An operator's limits of one queue or job name: the form fills in what is in force, a save stores
 * the operator's layer (it wins over the code's until cleared), and the page says what the code sets.
 */
export function limitsEditPage(ctx: PageContext, data: LimitsFormData): SafeHtml {
  const { view, fields } = data;
  const fresh = view === null;
  const isJob = data.scope.startsWith('job:');
  return html`
<div class="page-head"><h1>${fresh ? 'Set limits' : html`Limits of ${data.scope}`}</h1>
<p class="sub">Stored, so they hold across every server and survive restarts and redeploys. What you save here is the operator's layer: it wins over the code's until cleared. Leave a field empty for no limit of that kind.</p></div>
${data.error ? html`<div class="notice error-notice" role="alert" data-limits-error>${data.error}</div>` : ''}
${view ? html`<section class="panel"><dl class="facts">
  ${fact('In force', html`<span data-limits-in-force>${describeLimits(view.inForce)}</span> <span class="muted small">(${view.source === 'operator' ? `operator${view.operator?.setBy ? `: ${view.operator.setBy}` : ''}` : 'code'})</span>`)}
  ${fact('Code', view.code ? describeLimits(view.code) : html`<span class="muted">none</span>`)}
  ${fact('Running now', String(view.running))}
</dl></section>` : ''}
<section class="panel">
<form method="post" action="${ctx.base}/actions/limits" class="enqueue-form" data-limits-form>
  ${csrfField(ctx)}<input type="hidden" name="action" value="set">
  ${fresh
    ? html`<label>Scope <input name="scope" required value="${data.scope}" placeholder="queue:mail or job:documents.export" spellcheck="false" autocomplete="off" list="limit-scopes"></label>
  <datalist id="limit-scopes">${ctx.jobNames.map((n) => html`<option value="job:${n}"></option>`)}</datalist>`
    : html`<input type="hidden" name="scope" value="${data.scope}">`}
  <div class="enqueue-row">
    <label>${LIMIT_FIELD_LABELS.concurrency} <input name="concurrency" inputmode="numeric" value="${fields.concurrency}" placeholder="at most n at once"></label>
    <label>${LIMIT_FIELD_LABELS.rate} <input name="rate" value="${fields.rate}" placeholder="50/1s, 100/1m"></label>
    ${fresh || !isJob ? html`<label>${LIMIT_FIELD_LABELS.maxSize} <input name="maxSize" inputmode="numeric" value="${fields.maxSize}" placeholder="a queue's bound"></label>` : ''}
  </div>
  <div class="enqueue-row">
    <label>${LIMIT_FIELD_LABELS.perKeyConcurrency} <input name="perKeyConcurrency" inputmode="numeric" value="${fields.perKeyConcurrency}" placeholder="per key, at once"></label>
    <label>${LIMIT_FIELD_LABELS.perKeyRate} <input name="perKeyRate" value="${fields.perKeyRate}" placeholder="per key, 5/1s"></label>
    <label>${LIMIT_FIELD_LABELS.onLocked} <select name="onLocked">
      <option value="wait"${fields.onLocked === 'skip' ? '' : html` selected`}>wait in the queue</option>
      <option value="skip"${fields.onLocked === 'skip' ? html` selected` : ''}>skip (delete the job)</option>
    </select></label>
  </div>
  <p class="muted small">A job's key comes from its definition's <code>key</code> function or its enqueue's <code>limitKey</code>. The most enqueued bounds a queue only: an enqueue past it is refused (<code>ERR_QUEUE_FULL</code>) or waits.</p>
  <button class="btn" type="submit">Save limits</button>
</form>
${view?.operator ? html`<p class="muted small">Clearing removes the operator's layer; ${view.code ? "the code's limits are in force again" : 'the scope then has no limits'}.</p>` : ''}
${view?.operator ? actionButton(ctx, 'limits', { scope: data.scope, action: 'clear' }, view.code ? "Clear: back to the code's" : 'Clear', { quiet: true, confirm: `Clear the operator's limits of ${data.scope}?` }) : ''}
</section>`;
}
