import { JOB_STATES } from '@spool/core';

import type { SafeHtml } from '../html.js';
import { html } from '../html.js';
import { count } from './components.js';
import type { PageContext } from './page-context.js';

/** The navigation's sections; `active` marks the current one. */
export type Section = 'overview' | 'jobs' | 'dead-letters' | 'batches' | 'metrics' | 'audit' | 'recurring' | 'servers' | 'queues' | 'search' | 'enqueue';

/** The frame of every page: header, navigation with live counts, and the page's content. */
export function layout(ctx: PageContext, page: { title: string; section: Section; state?: string; live?: 'page' | 'job' | 'overview' | 'static'; content: SafeHtml }): SafeHtml {
  const link = (href: string, label: string, active: boolean, badge?: number): SafeHtml =>
    html`<a href="${ctx.base}${href}"${active ? html` aria-current="page" class="active"` : ''}>${label}${badge !== undefined ? html`<span class="nav-count" data-count="${label.toLowerCase()}">${count(badge)}</span>` : ''}</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="same-origin">
<meta name="spool-csrf" content="${ctx.csrfToken}">
<meta name="spool-base" content="${ctx.base}">
<meta name="spool-poll" content="${String(ctx.pollIntervalMs)}">
<meta name="spool-live" content="${page.live ?? 'page'}">
<meta name="spool-state" content="${page.state ?? ''}">
<meta name="spool-counts" content="${JSON.stringify(ctx.stats.states)}">
<title>${page.title} · ${ctx.title}</title>
<link rel="stylesheet" href="${ctx.styleUrl}">
<link rel="icon" href="data:,">
<script src="${ctx.scriptUrl}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="topbar">
  <a class="brand" href="${ctx.base}/"><span class="logo" aria-hidden="true"></span>${ctx.title}</a>
  <form class="topsearch" method="get" action="${ctx.base}/search" role="search">
    <input type="search" name="q" placeholder="Search jobs by id, name or arguments  ( / )" aria-label="Search jobs" data-search>
  </form>
  <span class="live-dot" title="Live: this page updates by itself" data-live-dot>Live</span>
  ${ctx.readOnly ? html`<span class="badge readonly" title="This dashboard only shows; it changes nothing">Read-only</span>` : ''}
</header>
<div class="shell">
<nav class="sidebar" aria-label="Sections">
  ${link('/', 'Overview', page.section === 'overview')}
  <div class="nav-group">Jobs</div>
  ${JOB_STATES.map((s) => link(`/jobs/${s}`, s[0]!.toUpperCase() + s.slice(1), page.section === 'jobs' && page.state === s, ctx.stats.states[s]))}
  ${link('/dead-letters', 'Dead letters', page.section === 'dead-letters')}
  ${link('/batches', 'Batches', page.section === 'batches')}
  <div class="nav-group">System</div>
  ${link('/metrics', 'Metrics', page.section === 'metrics')}
  ${link('/recurring', 'Recurring', page.section === 'recurring', ctx.stats.recurring)}
  ${link('/queues', 'Queues', page.section === 'queues')}
  ${link('/servers', 'Servers', page.section === 'servers', ctx.stats.servers)}
  ${link('/audit', 'Audit log', page.section === 'audit')}
  ${link('/search', 'Search', page.section === 'search')}
  ${ctx.readOnly ? '' : link('/enqueue', 'Enqueue', page.section === 'enqueue')}
</nav>
<main id="main" tabindex="-1">
${ctx.notice ? html`<div class="notice" role="status" data-notice>${ctx.notice}</div>` : ''}
<div id="live-region" data-live-region>
${page.content}
</div>
</main>
</div>
<div class="toast" role="status" aria-live="polite" data-toast></div>
</body>
</html>`;
}
