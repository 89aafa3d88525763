import type { ServerResponse } from 'node:http';

import type { BatchView, JobRecord, JobState, LimitView, PayloadSlot, QueueRecord, RecurringHistoryRecord, Storage } from '@spool/core';
import { AFTER_BATCH_PARAMETER, ConfigError, isJobState, limitsAsText, payloadKey, payloadReference, scopeFromText, scopeId } from '@spool/core';
import { batchPage, batchesPage } from './pages/batch-page.js';

import type { DashboardRequest } from './dashboard-options.js';
import type { DashboardState } from './dashboard-state.js';
import type { SafeHtml } from './html.js';
import { send, sendHtml } from './http-io.js';
import { SECURITY_HEADERS } from './security.js';
import { isJobAction } from './job-actions.js';
import { listParams, parseFilter } from './job-filter.js';
import { boundedSearch } from './bounded-search.js';
import { countMatching } from './bulk.js';
import { jobPage } from './pages/job-page.js';
import type { JobFilter } from './pages/jobs-page.js';
import { jobsPage } from './pages/jobs-page.js';
import type { Section } from './pages/layout.js';
import { layout } from './pages/layout.js';
import { AUDIT_PAGE, auditPage } from './pages/audit-page.js';
import { deadLetterEditPage, deadLettersPage } from './pages/dead-letters-page.js';
import { deadLetterFilterOf } from './dead-letter-actions.js';
import { metricsPage, metricsView } from './pages/metrics-page.js';
import { overviewPage } from './pages/overview-page.js';
import { confirmPage, searchPage } from './pages/search-page.js';
import type { EnqueueFormData } from './pages/enqueue-page.js';
import { enqueuePage } from './pages/enqueue-page.js';
import { limitsEditPage } from './pages/limits-page.js';
import { LIMIT_WAITING_SCAN, OCCURRENCE_EVENTS, messagePage, queuesPage, recurringDetailPage, recurringPage, serversPage } from './pages/system-pages.js';

/** Most (job name, error) groups the dead letters page shows. */
const DEAD_LETTER_GROUPS = 100;
/** Most recurring jobs one page lists. */
const RECURRING_PAGE = 500;
/** Previous occurrences the recurring list shows per job, and history entries read to find them. */
const RECURRING_PREVIOUS = 3;
const RECURRING_PREVIOUS_SCAN = 10;
/** History entries one recurring job's page shows. */
const RECURRING_HISTORY = 50;
/** Batches one page lists, and jobs one batch page lists. */
const BATCH_PAGE = 50;
const BATCH_JOBS_PAGE = 100;
/** How many waiting jobs are scanned for a job's continuations (the read model has no parent index). */
const CONTINUATION_SCAN = 500;

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** One page of jobs for a filter: text searches are bounded in time (see {@link boundedSearch}). */
async function listJobs(
  state: DashboardState,
  filter: JobFilter,
  query: URLSearchParams,
  now: number,
): Promise<{ jobs: JobRecord[]; nextCursor: string | null; searchedBack: Date | null; sortRefused: number | null }> {
  const { monitoring } = state.spool.storage;
  const cursor = query.get('cursor');
  if (filter.search) return { ...(await boundedSearch(monitoring, filter, state.options.pageSize, cursor, state.options.searchTimeBudget, now)), sortRefused: null };
  // A sort by name reads the whole list (no storage keeps jobs in name order): only a list of up to
  // `sortByNameUpTo` jobs, by its count. Jobs of one name are in name order already.
  if (filter.order === 'name' && !filter.name) {
    const states = (await monitoring.stats()).states;
    const size = filter.state ? states[filter.state] : Object.values(states).reduce((a, b) => a + b, 0);
    if (size > state.options.sortByNameUpTo) {
      const page = await monitoring.jobsList(listParams({ ...filter, order: undefined }, state.options.pageSize, cursor));
      return { ...page, searchedBack: null, sortRefused: size };
    }
  }
  const page = await monitoring.jobsList(listParams(filter, state.options.pageSize, cursor));
  return { ...page, searchedBack: null, sortRefused: null };
}

/** The state now of each job that history entries name (expired jobs are absent). */
async function statesOf(storage: Storage, entries: readonly RecurringHistoryRecord[]): Promise<Map<string, JobState>> {
  const ids = [...new Set(entries.flatMap((e) => (e.jobId === null ? [] : [e.jobId])))];
  const jobs = await Promise.all(ids.map((id) => storage.jobGet({ id })));
  return new Map(jobs.flatMap((job) => (job === null ? [] : [[job.id, job.state] as const])));
}

/**
 * How many enqueued jobs each limit's scope holds, by scope id: a queue's from its counts, a job
 * name's from a bounded read of its enqueued jobs (at most LIMIT_WAITING_SCAN + 1).
 */
async function waitingUnder(monitoring: Storage['monitoring'], queues: readonly QueueRecord[], limits: readonly LimitView[]): Promise<Map<string, number>> {
  const waiting = new Map<string, number>();
  await Promise.all(
    limits.map(async (l) => {
      if ('queue' in l.scope) {
        const name = l.scope.queue;
        waiting.set(scopeId(l.scope), queues.find((q) => q.name === name)?.enqueued ?? 0);
      } else {
        const page = await monitoring.jobsList({ state: 'enqueued', name: l.scope.job, limit: LIMIT_WAITING_SCAN + 1 });
        waiting.set(scopeId(l.scope), page.jobs.length);
      }
    }),
  );
  return waiting;
}

/** Renders the page at `path`; false when there is none. */
export async function handlePage(state: DashboardState, req: DashboardRequest, res: ServerResponse, base: string, path: string, query: URLSearchParams): Promise<boolean> {
  const { spool, options } = state;
  const monitoring = spool.storage.monitoring;
  const ctx = await state.pageContext(base, path, query);
  const fragment = req.headers['x-spool-fragment'] === '1';
  const respond = (status: number, title: string, section: Section, content: SafeHtml, extra: { state?: string; live?: 'page' | 'job' | 'overview' | 'static' } = {}): true => {
    sendHtml(res, status, fragment ? content : layout(ctx, { title, section, content, ...extra }));
    return true;
  };
  const now = await state.now();

  if (path === '/') {
    const [hourly, daily, queues] = await Promise.all([
      monitoring.timeSeries({ bucket: 'hour', from: new Date(now - 23 * HOUR), to: new Date(now) }),
      monitoring.timeSeries({ bucket: 'day', from: new Date(now - 29 * DAY), to: new Date(now) }),
      monitoring.queues(),
    ]);
    return respond(200, 'Overview', 'overview', overviewPage(ctx, { hourly, daily, queues }), { live: 'overview' });
  }

  // `/jobs/<id>` reads as naturally as `/job/<id>` (and is what people type): send it to the job's page.
  const jobAlias = /^\/jobs\/([0-9a-fA-F]{8}-[0-9a-fA-F-]{27,55})$/.exec(path);
  if (jobAlias) {
    send(res, 308, 'text/plain; charset=utf-8', '', { Location: `${base}/job/${jobAlias[1]!}` });
    return true;
  }

  const jobsMatch = /^\/jobs\/([a-z]+)$/.exec(path);
  if (jobsMatch) {
    const jobState = jobsMatch[1];
    if (!isJobState(jobState)) return false;
    const filter = { ...parseFilter((k) => query.get(k)), state: jobState };
    const cursor = query.get('cursor');
    const [page, queues] = await Promise.all([listJobs(state, filter, query, now), jobState === 'enqueued' ? monitoring.queues() : Promise.resolve([])]);
    return respond(200, `${jobState} jobs`, 'jobs', jobsPage(ctx, { filter, ...page, first: !cursor, queues, now }), { state: jobState, live: filter.search ? 'static' : 'page' });
  }

  const payloadMatch = /^\/job\/([0-9a-fA-F-]{1,64})\/payload\/(args|result)$/.exec(path);
  if (payloadMatch) return sendPayload(state, req, res, payloadMatch[1]!, payloadMatch[2] as PayloadSlot, respond);

  const jobMatch = /^\/job\/([0-9a-fA-F-]{1,64})$/.exec(path);
  if (jobMatch) {
    const details = await monitoring.jobDetails({ id: jobMatch[1]!, logLimit: 500 });
    if (!details) return respond(404, 'Job not found', 'jobs', messagePage('Job not found', 'No job has this id. Finished jobs are removed after their retention.'), { live: 'static' });
    const waiting = await monitoring.jobsList({ state: 'awaiting', limit: CONTINUATION_SCAN });
    const continuations: JobRecord[] = waiting.jobs.filter((j) => j.parentId === details.job.id);
    // Why it waits, from the gates as stored (a read only while it waits).
    const waitReason = details.job.state === 'enqueued' ? await spool.limits.waitReason(details.job.id) : null;
    return respond(200, details.job.name, 'jobs', jobPage(ctx, { details, continuations, waitReason }), { state: details.job.state, live: 'job' });
  }

  if (path === '/recurring') {
    const records = await spool.storage.recurringList({ limit: RECURRING_PAGE + 1 });
    const shown = records.slice(0, RECURRING_PAGE);
    const rows = await Promise.all(
      shown.map(async (record) => {
        const history = await spool.storage.recurringHistory({ id: record.id, limit: RECURRING_PREVIOUS_SCAN });
        const previous = history.filter((e) => OCCURRENCE_EVENTS.has(e.event)).slice(0, RECURRING_PREVIOUS);
        const [lastJob, states] = await Promise.all([record.lastJobId ? spool.storage.jobGet({ id: record.lastJobId }) : null, statesOf(spool.storage, previous)]);
        return { record, lastJob, previous, states };
      }),
    );
    return respond(200, 'Recurring jobs', 'recurring', recurringPage(ctx, rows, records.length > RECURRING_PAGE));
  }
  if (path === '/recurring/detail') {
    const id = query.get('id') ?? '';
    const record = id === '' ? null : await spool.storage.recurringGet({ id });
    if (!record) return respond(404, 'Recurring job not found', 'recurring', messagePage('Recurring job not found', 'No recurring job has this id.'));
    const [{ next }, history] = await Promise.all([spool.recurring.occurrences(id, { next: 5 }), spool.storage.recurringHistory({ id, limit: RECURRING_HISTORY })]);
    const states = await statesOf(spool.storage, history);
    // Not refreshed live: the backfill form would lose what the operator typed.
    return respond(200, record.id, 'recurring', recurringDetailPage(ctx, { record, next, history, states, now }), { live: 'static' });
  }
  if (path === '/metrics') {
    const view = metricsView(query);
    return respond(200, 'Metrics', 'metrics', metricsPage(ctx, await spool.jobMetrics(view.window), view));
  }
  if (path === '/audit') {
    const before = Number(query.get('before'));
    const entries = await spool.storage.auditList({ limit: AUDIT_PAGE + 1, ...(Number.isSafeInteger(before) && before > 0 ? { before } : {}) });
    const shown = entries.slice(0, AUDIT_PAGE);
    const older = entries.length > AUDIT_PAGE ? `${ctx.base}/audit?before=${shown.at(-1)!.seq}` : null;
    return respond(200, 'Audit log', 'audit', auditPage(ctx, shown, older));
  }
  if (path === '/dead-letters') {
    const filter = deadLetterFilterOf((k) => query.get(k));
    if (!spool.storage.capabilities.deadLetters) return respond(200, 'Dead letters', 'dead-letters', deadLettersPage(ctx, { groups: null, filter, jobs: [], nextCursor: null, first: true }));
    const cursor = query.get('cursor');
    const [groups, page] = await Promise.all([spool.deadLetters.groups({ limit: DEAD_LETTER_GROUPS }), spool.deadLetters.list({ ...filter, limit: options.pageSize, cursor })]);
    return respond(200, 'Dead letters', 'dead-letters', deadLettersPage(ctx, { groups, filter, ...page, first: !cursor }));
  }
  if (path === '/dead-letters/edit') {
    if (ctx.readOnly) return false;
    const id = query.get('id') ?? '';
    const job = /^[0-9a-fA-F-]{1,64}$/.test(id) ? await spool.storage.jobGet({ id }) : null;
    if (!job || job.deadLetteredAt === null) {
      return respond(404, 'Not a dead letter', 'dead-letters', messagePage('Not a dead letter', 'No dead letter has this id: it may have been redriven, retried or deleted already.'), { live: 'static' });
    }
    // Not refreshed live: it would lose what the operator typed.
    return respond(200, 'Redrive with edited arguments', 'dead-letters', deadLetterEditPage(ctx, job, JSON.stringify(job.args, null, 2), null), { live: 'static' });
  }
  if (path === '/batches') {
    if (!spool.storage.capabilities.batches) return respond(200, 'Batches', 'batches', messagePage('No batches on this storage', `The ${spool.storage.kind} storage does not have the batches capability yet.`));
    const page = await spool.batches.list({ limit: BATCH_PAGE, cursor: query.get('cursor') });
    const older = page.nextCursor ? `${ctx.base}/batches?cursor=${encodeURIComponent(page.nextCursor)}` : null;
    return respond(200, 'Batches', 'batches', batchesPage(ctx, page.batches, older));
  }
  const batchMatch = /^\/batch\/([0-9a-fA-F-]{1,64})$/.exec(path);
  if (batchMatch && spool.storage.capabilities.batches) {
    const batch = await spool.batches.get(batchMatch[1]!);
    if (!batch) return respond(404, 'Batch not found', 'batches', messagePage('Batch not found', 'No batch or flow has this id.'), { live: 'static' });
    const wanted = query.get('state');
    const jobState = isJobState(wanted) ? wanted : null;
    const [jobs, nestedIds, waiting] = await Promise.all([
      spool.batches.jobs(batch.id, { limit: BATCH_JOBS_PAGE, cursor: query.get('cursor'), ...(jobState ? { state: jobState } : {}) }),
      spool.batches.nested(batch.id),
      monitoring.jobsList({ state: 'awaiting', limit: CONTINUATION_SCAN }),
    ]);
    const nested = (await Promise.all(nestedIds.slice(0, BATCH_PAGE).map((id) => spool.batches.get(id)))).filter((b) => b !== null && b.parentBatchId === batch.id);
    const continuations = waiting.jobs.filter((j) => j.parameters[AFTER_BATCH_PARAMETER] === batch.id);
    return respond(200, batch.description ?? 'Batch', 'batches', batchPage(ctx, { batch, jobs: jobs.jobs, nextCursor: jobs.nextCursor, state: jobState, nested: nested as BatchView[], continuations }));
  }
  if (path === '/servers') return respond(200, 'Servers', 'servers', serversPage(ctx, await monitoring.servers(), now));
  if (path === '/queues') {
    const [queues, limits] = await Promise.all([monitoring.queues(), spool.limits.list()]);
    return respond(200, 'Queues', 'queues', queuesPage(ctx, queues, limits, now, await waitingUnder(monitoring, queues, limits), spool.storage.capabilities.flowControl));
  }

  if (path === '/search') {
    const filter = parseFilter((k) => query.get(k));
    const asked = filter.search !== undefined || filter.state !== undefined || filter.queue !== undefined || filter.name !== undefined || filter.from !== undefined || filter.to !== undefined || filter.serverId !== undefined;
    let data = null;
    if (asked) {
      const cursor = query.get('cursor');
      data = { filter, ...(await listJobs(state, filter, query, now)), first: !cursor, queues: [], now };
    }
    // Not refreshed live: a text search costs up to its time budget each time.
    return respond(200, 'Search', 'search', searchPage(ctx, data, filter), { live: 'static' });
  }

  if (path === '/enqueue') {
    if (ctx.readOnly) return false;
    const from = query.get('from');
    const source = from && /^[0-9a-fA-F-]{1,64}$/.test(from) ? await spool.storage.jobGet({ id: from }) : null;
    if (from && !source) return respond(404, 'Job not found', 'enqueue', messagePage('Job not found', 'There is no job to clone with this id. Finished jobs are removed after their retention.'), { live: 'static' });
    const form: EnqueueFormData = source
      ? {
          name: source.name,
          queue: source.queue,
          args: JSON.stringify(source.args, null, 2),
          priority: String(source.priority),
          delay: '',
          // A clone keeps the job's attempts and timeout, so it needs no definition in this process.
          attempts: String(source.maxAttempts),
          timeout: source.timeoutMs === null ? 'none' : `${source.timeoutMs}ms`,
          from: { id: source.id, name: source.name },
          error: null,
        }
      : { name: query.get('name') ?? '', queue: '', args: '{}', priority: '', delay: '', attempts: '', timeout: '', from: null, error: null };
    return respond(200, form.from ? `Clone ${form.name}` : 'Enqueue', 'enqueue', enqueuePage(ctx, form), { live: 'static' });
  }

  if (path === '/limits/edit') {
    if (ctx.readOnly || !spool.storage.capabilities.flowControl) return false;
    const typed = query.get('scope') ?? '';
    let view = null;
    try {
      view = typed ? await spool.limits.get(scopeFromText(typed, 'scope')) : null;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
    }
    // The operator's layer when there is one (that is what a save replaces), else what the code sets.
    const fields = limitsAsText(view ? (view.operator?.limits ?? view.inForce) : null);
    return respond(200, view ? `Limits of ${typed}` : 'Set limits', 'queues', limitsEditPage(ctx, { scope: view ? scopeId(view.scope) : typed, fields, view, error: null }), { live: 'static' });
  }

  if (path === '/confirm') {
    const action = query.get('action') ?? undefined;
    if (!isJobAction(action) || ctx.readOnly) return false;
    const filter = parseFilter((k) => query.get(k));
    const { matching, exact } = await countMatching(state, filter);
    return respond(200, 'Confirm', filter.state ? 'jobs' : 'search', confirmPage(ctx, { action, filter, matching, exact, limit: options.bulkLimit }), { state: filter.state, live: 'static' });
  }
  return false;
}

type Respond = (status: number, title: string, section: Section, content: SafeHtml, extra?: { live?: 'static' }) => true;

/**
 * Sends a job's argument or result file stored by reference, as a download (a GET: it changes
 * nothing, so it needs no CSRF token; it is behind the same authorization as every page). The file
 * is streamed from the file store, never read whole into memory.
 */
async function sendPayload(state: DashboardState, req: DashboardRequest, res: ServerResponse, id: string, slot: PayloadSlot, respond: Respond): Promise<true> {
  const job = await state.spool.storage.jobGet({ id });
  const reference = job === null ? null : payloadReference(job[slot]);
  const what = slot === 'args' ? 'arguments' : 'result';
  if (job === null || reference === null) {
    return respond(404, 'Not stored by reference', 'jobs', messagePage('Not stored by reference', `This job does not exist, or its ${what} are not stored in the file store.`), { live: 'static' });
  }
  const { files } = state.spool;
  const key = payloadKey(job.id, reference);
  const opened = files === null ? null : await files.open(key);
  if (opened === null) {
    const why = files === null ? 'this dashboard’s Spool has no file store (give it the same files option as your servers)' : `the file store has no file "${key}"`;
    return respond(404, 'File not found', 'jobs', messagePage('File not found', `The ${what} of this job are stored by reference, but ${why}.`), { live: 'static' });
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(opened.bytes),
    'Content-Disposition': `attachment; filename="${job.id}-${slot}.json"`,
    'Cache-Control': 'no-store',
  });
  if (req.method === 'HEAD') {
    opened.stream.destroy();
    res.end();
    return true;
  }
  opened.stream.on('error', () => res.destroy());
  opened.stream.pipe(res);
  return true;
}
