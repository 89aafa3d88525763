import { DASHBOARD_PATH, EXAMPLES } from './examples.js';

/** The showcase's stylesheet, served at `/showcase.css` (the page's policy allows no inline style). */
export const STYLESHEET = `body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1d232a;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}p.lead{color:#555;margin-top:0}
ul{list-style:none;padding:0}li{border:1px solid #d8dee4;border-radius:8px;padding:.8rem 1rem;margin:.8rem 0}
li a.title{font-weight:600;font-size:1.1rem}code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}
@media (prefers-color-scheme:dark){body{background:#15181c;color:#e6e8eb}li{border-color:#30363d}code{background:#22272e}p.lead{color:#a0a8b0}a{color:#79b8ff}}`;

/** The page at `/`: every example, the dashboard, and how the jobs run in this process. */
export function renderIndexPage(options: { worker: boolean }): string {
  const items = EXAMPLES.map(
    (e) => `<li><a class="title" href="${e.start}">${e.title}</a> <code>${e.path}</code><br>${e.story}</li>`,
  ).join('\n');
  const where = options.worker
    ? 'Jobs run in this process.'
    : 'Jobs run in separate worker processes (<code>npm run start:postgres</code>).';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Spool showcase</title><link rel="stylesheet" href="/showcase.css"></head>
<body><h1>Spool showcase</h1>
<p class="lead">Background work in a web application, four ways. ${where}</p>
<ul>
${items}
<li><a class="title" href="${DASHBOARD_PATH}/">Dashboard</a> <code>${DASHBOARD_PATH}</code><br>Every job of every example: states, history, logs, retries; requeue, delete, pause queues, trigger recurring jobs.</li>
</ul>
</body></html>
`;
}
