import { escapeHtml as e } from '@spool-examples/web-kit';

import type { DocumentFormat } from './document-format.js';
import { ACCEPTED_EXTENSIONS } from './document-format.js';
import { formatBytes } from './http-util.js';

const FORMAT_NAMES: Record<DocumentFormat, string> = { markdown: 'Markdown', html: 'HTML', text: 'Plain text' };

/** The human name of a format. */
export function formatName(format: DocumentFormat): string {
  return FORMAT_NAMES[format] ?? format;
}

function layout(basePath: string, title: string, body: string, script?: string, module = false): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<link rel="icon" href="${e(basePath)}/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${e(basePath)}/assets/style.css">
${script ? `<script${module ? ' type="module"' : ''} src="${e(basePath)}/assets/${e(script)}" defer></script>\n` : ''}</head>
<body>
<main class="card">
<p class="crumb"><a href="${e(basePath)}/">Document export</a></p>
${body}
</main>
</body>
</html>
`;
}

/**
 * The upload form; `upload.js` checks size and type before sending, the server checks again.
 * `origin` (from the request's Host header, escaped like everything else) fills the curl examples.
 */
export function uploadPage(basePath: string, maxUploadBytes: number, origin: string): string {
  const accept = ACCEPTED_EXTENSIONS.join(',');
  return layout(
    basePath,
    'Export a document to PDF',
    `<h1>Export a document to PDF</h1>
<p class="lead">Upload a Markdown, HTML or plain-text document of up to ${e(formatBytes(maxUploadBytes))}. It is converted in the
background; the next page follows the conversion and offers the PDF when it is ready.</p>
<form id="upload-form" method="post" action="${e(basePath)}/exports" enctype="multipart/form-data"
  data-max-bytes="${e(maxUploadBytes)}" data-max-label="${e(formatBytes(maxUploadBytes))}" data-accept="${e(accept)}">
<label for="document">Document <span class="hint">(${e(ACCEPTED_EXTENSIONS.join(', '))})</span></label>
<input type="file" id="document" name="document" accept="${e(accept)}" required>
<p id="upload-error" class="error" role="alert" hidden></p>
<button type="submit">Convert to PDF</button>
</form>
<section class="api">
<h2>From a program</h2>
<pre>curl -F document=@report.md ${e(origin + basePath)}/api/exports
curl ${e(origin + basePath)}/api/jobs/JOB_ID
curl -OJ ${e(origin + basePath)}/api/jobs/JOB_ID/result</pre>
</section>`,
    'upload.js',
  );
}

/** What the progress page shows of a job. */
export interface ProgressPageJob {
  id: string;
  fileName: string;
  format: DocumentFormat;
  downloadName: string;
}

/**
 * The progress page. It shows the job as it is when served; `progress.js` follows the job's live
 * stream (`streamUrl`, token included), or polls the status API when the stream cannot open, moves
 * the bar, then shows the download link (already in the page, hidden until the PDF exists).
 */
export function progressPage(basePath: string, job: ProgressPageJob, pollIntervalMs: number, streamUrl: string): string {
  const api = `${basePath}/api/jobs/${encodeURIComponent(job.id)}`;
  return layout(
    basePath,
    `Exporting ${job.fileName}`,
    `<h1 class="file-name">${e(job.fileName)}</h1>
<p class="meta">${e(formatName(job.format))} to PDF · job <code>${e(job.id)}</code></p>
<section id="export" class="export" data-state="unknown" data-status-url="${e(api)}" data-stream-url="${e(streamUrl)}" data-poll-ms="${e(pollIntervalMs)}">
<div class="bar-row">
<progress id="export-bar" max="100" value="0" aria-labelledby="export-state"></progress>
<span id="export-percent" class="percent">0%</span>
</div>
<p id="export-state" class="state" role="status" aria-live="polite">Loading the job's state…</p>
<p id="export-error" class="error" role="alert" hidden></p>
<p id="export-done" class="done" hidden>
<a id="export-download" class="button" href="${e(api)}/result" download="${e(job.downloadName)}">Download ${e(job.downloadName)}</a>
</p>
<noscript><p>This page follows the job with JavaScript. Without it, reload the page, or open <a href="${e(api)}">the job's status</a>.</p></noscript>
</section>
<p class="again"><a href="${e(basePath)}/">Export another document</a></p>`,
    'progress.js',
    true,
  );
}

/** A page that explains why a request was refused. */
export function errorPage(basePath: string, status: number, message: string): string {
  const title = status === 404 ? 'Not found' : status >= 500 ? 'Something went wrong' : 'The document was not accepted';
  return layout(
    basePath,
    title,
    `<h1>${e(title)}</h1>
<p class="error" role="alert">${e(message)}</p>
<p><a class="button" href="${e(basePath)}/">Upload a document</a></p>`,
  );
}
