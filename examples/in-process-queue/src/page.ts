import { escapeHtml } from './http-io.js';
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
  const burstForm = (via: 'memory' | 'spool', label: string) => `
    <form method="post" action="${escapeHtml(`${basePath}/api/burst`)}">
      <input type="hidden" name="via" value="${via}">
      <label>Emails <input type="number" name="count" min="1" max="${maxBurst}" value="50"></label>
      <button type="submit">${escapeHtml(label)}</button>
    </form>`;
  const dashboard = dashboardPath ? ` Follow the jobs in the <a href="${escapeHtml(`${dashboardPath}/queues`)}">dashboard</a>.` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>In-process queue versus Spool</title></head>
<body>
<h1>In-process queue versus Spool</h1>
<p>The same work, a welcome email that takes a moment to send, done two ways.</p>
<h2>A bounded queue in memory</h2>
<p>At most ${memory.capacity} emails wait in memory for ${memory.consumers} consumers. When the queue is full the
producer waits for room (back-pressure): a burst is answered only once the last email is in the queue.
Nothing is stored: if the process dies, the emails waiting or being sent are gone.</p>
<p>Now: ${memory.buffered} buffered, ${memory.sending} sending, ${memory.waitingProducers} producers waiting.</p>
${burstForm('memory', 'Send a burst through the in-memory queue')}
<h2>Spool</h2>
<p>Every email becomes a job in storage before the producer gets its answer, so a burst is answered at once
and survives a crash: waiting jobs run after a restart, running ones are rescued when their lease expires.${dashboard}</p>
${burstForm('spool', 'Send a burst through Spool')}
<p>JSON: <code>GET ${escapeHtml(basePath)}/api/status</code>, <code>POST ${escapeHtml(basePath)}/api/emails {"to":"ann@example.com","via":"memory"}</code>.</p>
</body></html>`;
}
