import type { JobView } from 'spool';

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
const e = escapeHtml;

/** The pages' stylesheet, served at `<base>/style.css` (the pages' policy allows no inline style or script). */
export const STYLESHEET = `body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1d232a;background:#fff}
h1{font-size:1.5rem}form{border:1px solid #d8dee4;border-radius:8px;padding:1rem;margin:1rem 0}
label{display:block;margin:.4rem 0}input[type=text]{width:100%;box-sizing:border-box;padding:.4rem}select,input{font:inherit}
button{font:inherit;padding:.4rem 1rem;margin-top:.5rem}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e5e7eb;vertical-align:top}
.state{font-weight:600}.succeeded{color:#1a7f37}.failed{color:#cf222e}.scheduled,.processing,.enqueued{color:#9a6700}.notice{background:#eef6ee;padding:.6rem 1rem;border-radius:6px}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}.small{color:#555;font-size:.9rem}
@media (prefers-color-scheme:dark){body{background:#15181c;color:#e6e8eb}form{border-color:#30363d}code{background:#22272e}td,th{border-color:#30363d}.small{color:#a0a8b0}a{color:#79b8ff}.notice{background:#1f2d22}}`;

function layout(basePath: string, title: string, body: string, refresh = false): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
${refresh ? '<meta http-equiv="refresh" content="1">\n' : ''}<title>${e(title)}</title><link rel="stylesheet" href="${e(basePath)}/style.css"></head>
<body><p class="small"><a href="${e(basePath)}/">Message push</a></p>
${body}
</body></html>
`;
}

/** What the home page shows. */
export interface HomePage {
  basePath: string;
  users: Array<{ userId: string; devices: number }>;
  /** A burst just accepted: how many and how long the enqueue took. */
  burst?: { count: number; ms: number } | null;
  dashboardPath?: string | null;
}

/** The home page: send one message (and follow its job), or a burst. Forms work without script. */
export function homePage(page: HomePage): string {
  const b = page.basePath;
  const options = page.users.map((u) => `<option value="${e(u.userId)}">${e(u.userId)} (${u.devices} device${u.devices === 1 ? '' : 's'})</option>`).join('');
  const notice = page.burst
    ? `<p class="notice">${page.burst.count} messages accepted in ${page.burst.ms} ms; the workers push them now${page.dashboardPath ? `: watch them in the <a href="${e(page.dashboardPath)}/">dashboard</a>` : ''}.</p>`
    : '';
  return layout(
    b,
    'Message push',
    `<h1>Message push</h1>
<p>Sending answers at once: the request only stores a job. A Spool server pushes the message to each of
the user's devices through a simulated gateway that fails now and then; failed pushes are retried.</p>
${notice}
<form method="post" action="${e(b)}/messages">
<label>User <select name="userId">${options}</select></label>
<label>Message <input type="text" name="text" maxlength="1000" required value="Your order has shipped"></label>
<button type="submit">Send</button>
</form>
<form method="post" action="${e(b)}/bursts">
<label>A burst of <input type="number" name="count" min="1" max="1000" value="100"> messages to random users</label>
<button type="submit">Send the burst</button>
</form>
<p class="small">For programs: <code>POST ${e(b)}/api/messages {"userId":"ann","text":"Hello"}</code> answers 202 with the job's id;
<code>GET ${e(b)}/api/jobs/:id</code> shows its state and history.</p>`,
  );
}

/** A job's page, refreshed every second until the job has finished. */
export function jobPage(basePath: string, job: JobView, dashboardPath: string | null): string {
  const finished = job.state === 'succeeded' || job.state === 'failed' || job.state === 'deleted';
  const rows = job.history
    .map((h) => `<tr><td>${e(h.at.toISOString().slice(11, 23))}</td><td class="state ${e(h.state)}">${e(h.state)}</td><td>${e(h.reason)}</td></tr>`)
    .join('');
  const args = job.args as { userId?: string; text?: string } | null;
  return layout(
    basePath,
    `Push ${job.state}`,
    `<h1>Push to ${e(args?.userId ?? '?')}: <span class="state ${e(job.state)}">${e(job.state)}</span></h1>
<p>“${e(args?.text ?? '')}” — attempt ${job.attempt} of ${job.maxAttempts}.${finished ? '' : ' This page refreshes every second.'}</p>
<table><thead><tr><th>Time (UTC)</th><th>State</th><th>Why</th></tr></thead><tbody>${rows}</tbody></table>
<p class="small">Job <code>${e(job.id)}</code>${dashboardPath ? ` — <a href="${e(dashboardPath)}/job/${e(job.id)}">in the dashboard</a>` : ''}</p>`,
    !finished,
  );
}
