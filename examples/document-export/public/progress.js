/* global document */
// Follows an export job on the progress page: the job's status is pushed over the page's live
// stream (Spool's job status handler, with this page's token), or polled from the status API when
// the stream cannot open; it moves the bar and shows the download link when the PDF is ready (or
// the error when the conversion failed). Served as a file so that the page's
// Content-Security-Policy can forbid inline scripts; it writes text only through textContent.
import { watchJob } from '../status/client.js';

followExport();

function followExport() {
  const root = document.getElementById('export');
  if (!root) return;
  const statusUrl = root.dataset.statusUrl;
  const streamUrl = root.dataset.streamUrl;
  const pollMs = Math.max(100, Number(root.dataset.pollMs) || 500);
  const bar = document.getElementById('export-bar');
  const percent = document.getElementById('export-percent');
  const stateText = document.getElementById('export-state');
  const errorText = document.getElementById('export-error');
  const done = document.getElementById('export-done');

  const describe = {
    enqueued: () => 'Waiting for a worker to pick up the conversion…',
    scheduled: () => 'The last attempt failed; trying again shortly…',
    awaiting: () => 'Waiting…',
    processing: (job) => (job.progress < 5 ? 'Reading the document…' : job.progress < 95 ? 'Laying out the PDF…' : 'Writing the PDF…'),
    succeeded: (job) => `Done: ${plural(job.result.pages, 'page')}, ${size(job.result.bytes)}.`,
    failed: () => 'The conversion failed.',
    deleted: () => 'The conversion was cancelled.',
  };

  function plural(n, word) {
    return `${n} ${word}${n === 1 ? '' : 's'}`;
  }

  function size(bytes) {
    return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${bytes} bytes`;
  }

  function show(job) {
    const value = Math.round(Math.min(100, Math.max(0, Number(job.progress) || 0)));
    root.dataset.state = job.state;
    root.dataset.progress = String(value);
    bar.value = value;
    percent.textContent = `${value}%`;
    stateText.textContent = (describe[job.state] || (() => job.state))(job);
    errorText.hidden = !job.error;
    errorText.textContent = job.error ? job.error.message : '';
    done.hidden = job.state !== 'succeeded';
  }

  root.dataset.follow = 'stream';
  watchJob(streamUrl, {
    pollUrl: statusUrl,
    pollInterval: pollMs,
    onStatus: show,
    onFallback: () => {
      root.dataset.follow = 'polling';
    },
  });
}
