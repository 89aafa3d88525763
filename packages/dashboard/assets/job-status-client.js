/* global EventSource */
/* Spool job status: the browser client. An ES module with no dependency and no build step:
   import { watchJob } from '/job-status/client.js';

   watchJob(streamUrl, { onStatus, onDone, pollUrl }) follows one job over the server-sent-events
   stream of createJobStatus() (its path() gives `streamUrl`, token included). When the stream
   cannot open (no EventSource, refused token, a proxy that blocks streams, too many streams), it
   polls `pollUrl`, an API of the application that answers the job's status as JSON, instead. */

const FINISHED = new Set(['succeeded', 'failed', 'deleted']);

/**
 * Follows one job. Calls `onStatus(status)` with every status (the handler's `view` of the job, or
 * the JSON `pollUrl` answers), then `onDone(status)` once the job has finished; `onFallback(reason)`
 * when it switches to polling. Returns `{ close() }`.
 *
 * Options: `onStatus` (required), `onDone`, `onFallback`, `pollUrl` (no polling without it),
 * `pollInterval` (ms, default 2000), `isFinished(status)` for polled answers (default: `state` is
 * succeeded, failed or deleted).
 */
export function watchJob(streamUrl, options) {
  const { onStatus, onDone = () => {}, onFallback = () => {}, pollUrl, pollInterval = 2000 } = options;
  const isFinished = options.isFinished ?? ((status) => FINISHED.has(status?.state));
  if (typeof onStatus !== 'function') throw new TypeError('watchJob: expected an onStatus(status) function in the options');
  let closed = false;
  let source = null;
  let timer = null;
  let failures = 0;

  const finish = (status) => {
    close();
    onDone(status);
  };

  function close() {
    closed = true;
    source?.close();
    source = null;
    clearTimeout(timer);
  }

  async function poll() {
    if (closed) return;
    try {
      const response = await fetch(pollUrl, { headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const status = await response.json();
      failures = 0;
      if (closed) return;
      onStatus(status);
      if (isFinished(status)) return finish(status);
    } catch {
      failures += 1;
    }
    // Back off while the server is unreachable, up to ten times the interval.
    if (!closed) timer = setTimeout(poll, pollInterval * Math.min(10, 1 + failures));
  }

  function fallBack(reason) {
    source?.close();
    source = null;
    if (closed) return;
    onFallback(reason);
    if (pollUrl) void poll();
  }

  if (typeof EventSource !== 'function') {
    fallBack('this browser has no EventSource');
  } else {
    source = new EventSource(streamUrl, { withCredentials: true });
    source.addEventListener('status', (event) => {
      if (!closed) onStatus(JSON.parse(event.data));
    });
    source.addEventListener('done', (event) => {
      if (closed) return;
      const status = JSON.parse(event.data);
      if (status && status.gone) return finish(null);
      onStatus(status);
      finish(status);
    });
    source.addEventListener('error', () => {
      // CONNECTING: a dropped stream the browser reopens by itself. CLOSED: the server refused it.
      if (source && source.readyState === EventSource.CLOSED) fallBack('the stream was refused');
    });
  }
  return { close };
}
