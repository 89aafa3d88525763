import type { JobState } from '@spool/core';
import { STATE_FACTS } from '@spool/core';

import type { HtmlValue, SafeHtml } from '../html.js';
import { html } from '../html.js';
import type { PageContext } from './page-context.js';

/** A timestamp: rendered in UTC on the server, shown in the viewer's time zone with a relative time by the script. */
export function time(at: Date | null | undefined, empty = '—'): SafeHtml {
  if (!at) return html`<span class="muted">${empty}</span>`;
  const iso = at.toISOString();
  return html`<time datetime="${iso}" title="${iso}">${iso.slice(0, 19).replace('T', ' ')} UTC</time>`;
}

/** A running duration since a time, updated live by the script. */
export function elapsed(since: Date | null): SafeHtml {
  if (!since) return html`<span class="muted">—</span>`;
  return html`<time class="elapsed" datetime="${since.toISOString()}" data-elapsed>${since.toISOString()}</time>`;
}

/** A state badge. */
export function stateBadge(state: JobState): SafeHtml {
  return html`<span class="badge state-${state}" title="${STATE_FACTS[state].description}">${state}</span>`;
}

/** A hidden CSRF field for a form. */
export function csrfField(ctx: PageContext): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrfToken}">`;
}

/**
 * A small POST form with one button: an action on one thing. Destructive ones ask before sending
 * (the script shows the question; without the script the server confirms on a page of its own).
 */
export function actionButton(ctx: PageContext, action: string, fields: Record<string, string>, label: string, opts: { danger?: boolean; quiet?: boolean; confirm?: string } = {}): SafeHtml {
  if (ctx.readOnly) return html``;
  return html`<form method="post" action="${ctx.base}/actions/${action}" class="inline"${opts.confirm ? html` data-confirm="${opts.confirm}"` : ''}>
    ${csrfField(ctx)}${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
    <input type="hidden" name="back" value="${ctx.self}">
    <button type="submit" class="btn${opts.danger ? ' btn-danger' : ''}${opts.quiet ? ' btn-ghost' : ''} btn-small">${label}</button>
  </form>`;
}

/** An empty state: what is missing and what would make something appear. */
export function emptyState(title: string, hint: HtmlValue): SafeHtml {
  return html`<div class="empty"><div class="empty-icon" aria-hidden="true"></div><h3>${title}</h3><p>${hint}</p></div>`;
}

/** JSON, pretty-printed, in a code block. */
export function jsonBlock(value: unknown): SafeHtml {
  return html`<pre class="code">${JSON.stringify(value, null, 2) ?? 'undefined'}</pre>`;
}

/** Shortens an id for tables (the full id is in the link and title). */
export function shortId(id: string): string {
  return id.length > 13 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

/** A one-line preview of JSON arguments. */
export function preview(value: unknown, max = 80): string {
  const text = JSON.stringify(value) ?? '';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Formats a number with thousands separators. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * Formats a duration in ms in human units, at most two of them and without empty ones: "250 ms",
 * "12s", "20m", "3m 12s", "1h 5m", "2d 4h".
 */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.floor(ms / 1000);
  const parts = (big: number, bigUnit: string, small: number, smallUnit: string): string => (small === 0 ? `${big}${bigUnit}` : `${big}${bigUnit} ${small}${smallUnit}`);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return parts(m, 'm', s % 60, 's');
  const h = Math.floor(m / 60);
  if (h < 48) return parts(h, 'h', m % 60, 'm');
  return parts(Math.floor(h / 24), 'd', h % 24, 'h');
}

/** A size in bytes for people: `812 B`, `64.0 KiB`, `3.2 MiB`. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  return `${(n / (1024 * 1024 * 1024)).toFixed(1)} GiB`;
}
