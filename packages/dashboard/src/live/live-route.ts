import type { IncomingMessage, ServerResponse } from 'node:http';

import type { DashboardState } from '../dashboard-state.js';
import { sendJson } from '../http-io.js';
import { SECURITY_HEADERS } from '../security.js';
import { openEventStream } from './event-stream.js';
import { watchJob } from './job-watch.js';

/** Most log lines one job snapshot carries (what a job's page shows). */
const LOG_LIMIT = 500;

/**
 * `GET api/live[?job=<id>]`: the one server-sent-events stream of an open page. It sends `stats`
 * (the counts, the storage's time, and `touched`: the states jobs moved to) when they change, and,
 * with `job`, `job` snapshots (the job and its latest log lines) when that job changes.
 */
export async function serveLiveStream(state: DashboardState, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
  const { spool, options } = state;
  await spool.init();
  const jobId = query.get('job');
  if (jobId !== null && !/^[0-9a-fA-F-]{1,64}$/.test(jobId)) {
    return sendJson(res, 400, { error: { code: 'ERR_BAD_REQUEST', message: `Expected a job id (a UUID) in ?job=, got ${JSON.stringify(jobId.slice(0, 80))}.` } });
  }
  if (!state.admitStream()) {
    if (state.streamsClosed) return sendJson(res, 503, { error: { code: 'ERR_STREAMS_CLOSED', message: 'This dashboard is shutting down and opens no live streams; pages fall back to polling.' } });
    return sendJson(res, 503, { error: { code: 'ERR_TOO_MANY_STREAMS', message: `This dashboard holds ${options.maxStreams} live streams already; pages fall back to polling.` } });
  }
  const storage = spool.storage;
  const [stats, now] = await Promise.all([storage.monitoring.stats(), storage.now()]);
  const stream = openEventStream(req, res, SECURITY_HEADERS);
  stream.onClose(() => state.releaseStream());
  state.holdStream(stream);
  stream.send('stats', { ...stats, now, touched: [] });
  const feed = state.changeFeed();
  const stopFeed = feed.listen((change) => stream.send('stats', { ...change.stats, now: change.now, touched: [...new Set(change.jobs.values())] }));
  const stopJob =
    jobId === null
      ? () => undefined
      : watchJob(storage, feed, jobId, { checkMs: Math.min(options.pollInterval, 1000), logLimit: LOG_LIMIT, onError: options.onError }, (snapshot) => stream.send('job', snapshot ?? { gone: true }));
  stream.onClose(() => {
    stopFeed();
    stopJob();
  });
}
