import { escapeHtml as e } from '@spool-examples/web-kit';

import type { MemoryQueueStatus } from './memory-welcome.js';

/** What the index page shows. */
export interface IndexPageModel {
  basePath: string;
  dashboardPath: string | null;
  memory: MemoryQueueStatus;
  /** Largest burst a form may ask for. */
  maxBurst: number;
}

/** The example's page: what the two paths are, and forms that send a burst through each. */
export function indexPage({ basePath, dashboardPath, memory, maxBurst }: IndexPageModel): string {
  const burstForm = (via: 'memory' | 'spool', label: string) => `<form method="post" action="${e(`${basePath}/api/burst`)}">
<input type="hidden" name="via" value="${e(via)}">
<label>Emails <input type="number" name="count" min="1" max="${e(maxBurst)}" value="50"></label>
<button type="submit">${e(label)}</button>
</form>`;
  // A number that is not zero takes the colour of what it counts; a zero stays grey.
  const stat = (count: number, what: string, colour: string) =>
    `<li><span class="count ${count > 0 ? colour : 'idle'}">${e(count)}</span> ${e(what)}</li>`;
  const dashboard = dashboardPath ? ` Follow the jobs in the <a href="${e(`${dashboardPath}/queues`)}">dashboard</a>.` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>In-process queue versus Spool</title><link rel="stylesheet" href="${e(`${basePath}/style.css`)}"></head>
<body><p class="small"><a href="${e(`${basePath}/`)}">In-process queue versus Spool</a></p>
<h1>In-process queue versus Spool</h1>
<p>The same work, a welcome email that takes a moment to send, done two ways.</p>
<h2>A bounded queue in memory</h2>
<p>At most ${e(memory.capacity)} emails wait in memory for ${e(memory.consumers)} consumers. When the queue is full the
producer waits for room (back-pressure): a burst is answered only once the last email is in the queue.
Nothing is stored: if the process dies, the emails waiting or being sent are gone.</p>
<ul class="stats">
${stat(memory.buffered, `buffered of ${memory.capacity}`, 'enqueued')}
${stat(memory.sending, 'sending', 'processing')}
${stat(memory.waitingProducers, memory.waitingProducers === 1 ? 'producer waiting' : 'producers waiting', 'waiting')}
</ul>
${burstForm('memory', 'Send a burst through the in-memory queue')}
<h2>Spool</h2>
<p>Every email becomes a job in storage before the producer gets its answer, so a burst is answered at once
and survives a crash: waiting jobs run after a restart, running ones are rescued when their lease expires.${dashboard}</p>
${burstForm('spool', 'Send a burst through Spool')}
<p class="small">For programs: <code>GET ${e(basePath)}/api/status</code>, <code>POST ${e(basePath)}/api/emails {"to":"ann@example.com","via":"memory"}</code>.</p>
</body></html>
`;
}
