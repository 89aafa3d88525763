import type { CleanupStatus } from './cleanup-status.js';
import { escapeHtml as e } from './http-io.js';

/** The example's page: the schedule, the next run, the last runs, and where to act on them. */
export function statusPage(status: CleanupStatus, links: { basePath: string; dashboardPath: string | null }): string {
  const { basePath, dashboardPath } = links;
  const jobLink = (id: string) => (dashboardPath ? `<a href="${e(`${dashboardPath}/job/${id}`)}">${e(id.slice(0, 13))}…</a>` : e(id));
  const counts = (result: unknown) => {
    const r = result as { deleted?: number; kept?: number; inProgress?: number; freedBytes?: number } | null;
    return r ? `deleted ${e(r.deleted)}, kept ${e(r.kept)}, in progress ${e(r.inProgress)}, ${e(r.freedBytes)} bytes freed` : '';
  };
  const rows = status.lastRuns
    .map((run) => `<tr><td>${jobLink(run.jobId)}</td><td>${e(run.state)}</td><td>${e(run.occurrence ?? run.createdAt)}</td><td>${e(run.finishedAt ?? '')}</td><td>${counts(run.result)}${e(run.error ?? '')}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Nightly cleanup</title></head>
<body>
<h1>Nightly cleanup of old exports</h1>
<p>A recurring Spool job deletes the finished exports in <code>${e(status.exportsDir)}</code> that are older than
${e(status.maxAgeDays)} days. Files still being written (names starting with <code>.</code> or ending in <code>.tmp</code>),
folders and symbolic links are never touched.</p>
<table>
<tr><th>Recurring job</th><td><code>${e(status.id)}</code> (job <code>${e(status.job)}</code> on queue <code>${e(status.queue)}</code>)</td></tr>
<tr><th>Schedule</th><td>${e(status.description ?? status.cron)} <code>${e(status.cron)}</code> in ${e(status.timezone)}</td></tr>
<tr><th>Next run</th><td>${status.paused ? '<strong>paused</strong>' : `${e(status.nextRunLocal ?? 'none')} (${e(status.nextRunAt ?? '')})`}</td></tr>
<tr><th>Last run</th><td>${e(status.lastRunAt ?? 'never')}</td></tr>
</table>
${dashboardPath ? `<p>Pause, resume or run it now on the <a href="${e(`${dashboardPath}/recurring`)}">dashboard's recurring page</a>.</p>` : ''}
<h2>Last runs</h2>
${rows ? `<table><thead><tr><th>Job</th><th>State</th><th>For</th><th>Finished</th><th>Outcome</th></tr></thead><tbody>\n${rows}\n</tbody></table>` : '<p>No run yet.</p>'}
<p>As JSON: <a href="${e(`${basePath}/api/status`)}">${e(`${basePath}/api/status`)}</a></p>
</body></html>`;
}
