import { escapeHtml as e } from '@spool-examples/web-kit';

import type { CleanupStatus } from './cleanup-status.js';

/** The example's page: the schedule, the next run, the last runs, and where to act on them. */
export function statusPage(status: CleanupStatus, links: { basePath: string; dashboardPath: string | null }): string {
  const { basePath, dashboardPath } = links;
  const jobLink = (id: string) => (dashboardPath ? `<a href="${e(`${dashboardPath}/job/${id}`)}">${e(id.slice(0, 13))}…</a>` : e(id));
  const counts = (result: unknown) => {
    const r = result as { deleted?: number; kept?: number; inProgress?: number; freedBytes?: number } | null;
    return r ? `deleted ${e(r.deleted)}, kept ${e(r.kept)}, in progress ${e(r.inProgress)}, ${e(r.freedBytes)} bytes freed` : '';
  };
  // A run's times in short UTC ("2030-03-12 03:00:00"), the exact instant kept in the datetime attribute.
  const when = (iso: string | null) => (iso ? `<time datetime="${e(iso)}">${e(iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ''))}</time>` : '');
  const rows = status.lastRuns
    .map(
      (run) =>
        `<tr><td class="nowrap">${jobLink(run.jobId)}</td><td class="state ${e(run.state)}">${e(run.state)}</td><td class="nowrap">${when(run.occurrence ?? run.createdAt)}</td><td class="nowrap">${when(run.finishedAt)}</td><td>${counts(run.result)}${e(run.error ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Nightly cleanup</title><link rel="stylesheet" href="${e(`${basePath}/style.css`)}"></head>
<body><p class="small"><a href="${e(`${basePath}/`)}">Nightly cleanup</a></p>
<h1>Nightly cleanup of old files</h1>
<p>A recurring Spool job deletes the finished files that are older than ${e(status.maxAgeDays)} days in
${status.folders.length === 1 ? 'the folder' : `${status.folders.length} folders`}:</p>
<ul class="folders">${status.folders.map((folder) => `<li><code>${e(folder)}</code></li>`).join('')}</ul>
<p>Only files directly in ${status.folders.length === 1 ? 'it' : 'each'} are looked at.
Files still being written (names starting with <code>.</code> or ending in <code>.tmp</code>),
folders and symbolic links are never touched.</p>
<div class="card"><table>
<tr><th>Recurring job</th><td><code>${e(status.id)}</code> (job <code>${e(status.job)}</code> on queue <code>${e(status.queue)}</code>)</td></tr>
<tr><th>Schedule</th><td>${e(status.description ?? status.cron)} <code>${e(status.cron)}</code> in ${e(status.timezone)}</td></tr>
<tr><th>Next run</th><td>${status.paused ? '<span class="paused">paused</span>' : `${e(status.nextRunLocal ?? 'none')} <span class="small">(${e(status.nextRunAt ?? '')})</span>`}</td></tr>
<tr><th>Last run</th><td>${e(status.lastRunAt ?? 'never')}</td></tr>
</table></div>
${dashboardPath ? `<p>Pause, resume or run it now on the <a href="${e(`${dashboardPath}/recurring`)}">dashboard's recurring page</a>.</p>` : ''}
<h2>Last runs</h2>
${rows ? `<table class="runs"><thead><tr><th>Job</th><th>State</th><th>For (UTC)</th><th>Finished (UTC)</th><th>Outcome</th></tr></thead><tbody>\n${rows}\n</tbody></table>` : '<p>No run yet.</p>'}
<p class="small">As JSON: <a href="${e(`${basePath}/api/status`)}">${e(`${basePath}/api/status`)}</a></p>
</body></html>
`;
}
