import type { SafeHtml } from '../html.js';
import { html } from '../html.js';
import { csrfField, shortId } from './components.js';
import type { PageContext } from './page-context.js';

/** What the enqueue form shows: the values to start from, and why the last try was refused. */
export interface EnqueueFormData {
  name: string;
  queue: string;
  /** The arguments as JSON text, exactly as typed (or pretty-printed from the cloned job). */
  args: string;
  priority: string;
  delay: string;
  /** Attempts, as typed; empty: the job's own definition's (required when this process lacks it). */
  attempts: string;
  /** Timeout as a duration, or `none`; empty: the definition's (required when this process lacks it). */
  timeout: string;
  /** The job this form clones, if any. */
  from: { id: string; name: string } | null;
  /** Why the last submission was refused. */
  error: string | null;
}

/** The form that enqueues a job by name, with its arguments as JSON; also the form of a clone. */
export function enqueuePage(ctx: PageContext, data: EnqueueFormData): SafeHtml {
  const title = data.from ? `Clone ${data.from.name}` : 'Enqueue a job';
  return html`
<div class="page-head"><h1>${title}</h1>
<p class="sub">${data.from
    ? html`A new job with the arguments below, edited as you like. Job <a class="mono" href="${ctx.base}/job/${data.from.id}">${shortId(data.from.id)}</a> stays as it is.`
    : 'Creates a job through the client, as the application would. A server that knows the name runs it.'}</p></div>
${data.error ? html`<div class="notice error-notice" role="alert" data-enqueue-error>${data.error}</div>` : ''}
<section class="panel">
<form method="post" action="${ctx.base}/actions/enqueue" class="enqueue-form" data-enqueue-form>
  ${csrfField(ctx)}
  ${data.from ? html`<input type="hidden" name="from" value="${data.from.id}">` : ''}
  <label>Job name <input name="name" required value="${data.name}" list="enqueue-names" autocomplete="off" placeholder="emails.send"></label>
  <datalist id="enqueue-names">${ctx.jobNames.map((n) => html`<option value="${n}"></option>`)}</datalist>
  <label>Arguments (JSON) <textarea name="args" rows="10" spellcheck="false" class="mono" data-args-json>${data.args}</textarea></label>
  <p class="muted small" data-args-check aria-live="polite"></p>
  <div class="enqueue-row">
    <label>Queue <input name="queue" value="${data.queue}" placeholder="the job's own"></label>
    <label>Priority <input name="priority" inputmode="numeric" value="${data.priority}" placeholder="0"></label>
    <label>Delay <input name="delay" value="${data.delay}" placeholder="none, or 10m, 2h"></label>
  </div>
  <div class="enqueue-row">
    <label>Attempts <input name="attempts" inputmode="numeric" value="${data.attempts}" placeholder="the job's own"></label>
    <label>Timeout <input name="timeout" value="${data.timeout}" placeholder="the job's own, none, or 5m"></label>
  </div>
  <p class="muted small">Queue, attempts and timeout may stay empty for a job this dashboard's process defines; a job defined only in another process needs all three (decision 21).</p>
  <button class="btn" type="submit">${data.from ? 'Enqueue the clone' : 'Enqueue'}</button>
</form>
</section>`;
}
