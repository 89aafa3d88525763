import type { ServerResponse } from 'node:http';

import { isJobState } from '@spool/core';

import { boundedSearch } from './bounded-search.js';
import type { DashboardState } from './dashboard-state.js';
import { sendJson } from './http-io.js';
import { listParams, parseFilter } from './job-filter.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Most log lines one job read returns. */
const LOG_LIMIT = 500;

/**
 * The JSON API the pages' script reads (and polls when its live stream cannot open; tools may read
 * it too): every answer is bounded. The live stream itself is `api/live` (see `live/live-route.ts`).
 * - `GET api/stats`: counts per state, servers, recurring, and the storage's time.
 * - `GET api/time-series?bucket=hour|day`: succeeded and failed per bucket (24 hours or 30 days).
 * - `GET api/jobs?state=&queue=&name=&q=&from=&to=&cursor=`: one page of jobs (text search bounded in time: see `searchedBack`).
 * - `GET api/job/<id>`: one job with its history and latest logs.
 * - `GET api/metrics?window=hour|day`: throughput, failure rate and wait and run time percentiles per job name and queue.
 * - `GET api/audit?before=`: the audit log, newest first, 50 entries a page (`before`: the last `seq` seen).
 * - `GET api/queues`, `GET api/servers`, `GET api/limits` (flow-control limits with both layers).
 * - `GET api/batches?cursor=`, `GET api/batch/<id>?state=&cursor=`: batches and flows with their progress, and one with a page of its jobs.
 */
export async function handleApi(state: DashboardState, path: string, query: URLSearchParams, res: ServerResponse): Promise<void> {
  const { spool, options } = state;
  await spool.init();
  const monitoring = spool.storage.monitoring;
  switch (path) {
    case '/api/stats': {
      const [stats, now] = await Promise.all([monitoring.stats(), state.now()]);
      return sendJson(res, 200, { ...stats, now });
    }
    case '/api/time-series': {
      const now = await state.now();
      const bucket = query.get('bucket') === 'day' ? 'day' : 'hour';
      const from = new Date(now - (bucket === 'day' ? 29 * DAY : 23 * HOUR));
      const points = await monitoring.timeSeries({ bucket, from, to: new Date(now) });
      return sendJson(res, 200, { bucket, points });
    }
    case '/api/jobs': {
      const filter = parseFilter((k) => query.get(k));
      if (filter.search) return sendJson(res, 200, await boundedSearch(monitoring, filter, options.pageSize, query.get('cursor'), options.searchTimeBudget, await state.now()));
      return sendJson(res, 200, await monitoring.jobsList(listParams(filter, options.pageSize, query.get('cursor'))));
    }
    case '/api/audit': {
      const before = Number(query.get('before'));
      return sendJson(res, 200, { entries: await spool.storage.auditList({ limit: 50, ...(Number.isSafeInteger(before) && before > 0 ? { before } : {}) }) });
    }
    case '/api/metrics':
      return sendJson(res, 200, await spool.jobMetrics(query.get('window') === 'day' ? 'day' : 'hour'));
    case '/api/queues':
      return sendJson(res, 200, { queues: await monitoring.queues() });
    case '/api/servers':
      return sendJson(res, 200, { servers: await monitoring.servers() });
    case '/api/limits':
      return sendJson(res, 200, { limits: await spool.limits.list() });
  }
  if (path === '/api/batches' && spool.storage.capabilities.batches) return sendJson(res, 200, await spool.batches.list({ limit: 50, cursor: query.get('cursor') }));
  const batch = /^\/api\/batch\/([0-9a-fA-F-]{1,64})$/.exec(path);
  if (batch && spool.storage.capabilities.batches) {
    const view = await spool.batches.get(batch[1]!);
    if (!view) return sendJson(res, 404, { error: { code: 'ERR_BATCH_NOT_FOUND', message: `No batch ${batch[1]}` } });
    const wanted = query.get('state');
    const jobs = await spool.batches.jobs(view.id, { limit: options.pageSize, cursor: query.get('cursor'), ...(isJobState(wanted) ? { state: wanted } : {}) });
    return sendJson(res, 200, { batch: view, ...jobs });
  }
  const job = /^\/api\/job\/([0-9a-fA-F-]{1,64})$/.exec(path);
  if (job) {
    const details = await monitoring.jobDetails({ id: job[1]!, logLimit: LOG_LIMIT });
    return details ? sendJson(res, 200, details) : sendJson(res, 404, { error: { code: 'ERR_JOB_NOT_FOUND', message: `No job ${job[1]}` } });
  }
  return sendJson(res, 404, { error: { code: 'ERR_NOT_FOUND', message: 'No such API' } });
}
