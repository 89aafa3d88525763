import { fromErrorRecord } from '../job/error-record.js';
import type { ErrorRecord, JobRecord } from '../job/records.js';
import type { TypedEmitter } from '../util/typed-emitter.js';
import type { Logger } from './logger.js';
import type { ServerEvents } from './server-events.js';

/** What the server logger reads of a server: its id, a little of its options, its events. */
export interface LoggedServer {
  readonly id: string;
  readonly options: { readonly queues: readonly string[]; readonly concurrency: number };
  readonly events: TypedEmitter<ServerEvents>;
}

/**
 * Writes a server's lifecycle and its jobs' outcomes to a logger, from the server's typed events.
 * Levels: a job's start and success are `debug` (at thousands per second they are metrics, not
 * news); a retry, an abandoned or overdue job and rescued leases are `warn`; a job failed for good
 * and a failing background process are `error`; start, stop and shutdown requeues are `info`.
 * Every line carries `serverId`; job lines carry `jobId`, `jobName`, `queue` and `attempt`; errors
 * go under `err`, as pino's serializers expect. Returns a function that detaches the logger.
 */
export function attachServerLogger(server: LoggedServer, logger: Logger): () => void {
  const serverId = server.id;
  const job = (record: JobRecord) => ({ serverId, jobId: record.id, jobName: record.name, queue: record.queue, attempt: record.attempt });
  const detach = [
    server.events.on('started', () =>
      logger.info({ serverId, queues: server.options.queues, concurrency: server.options.concurrency }, 'Spool server started'),
    ),
    server.events.on('stopped', ({ unrecorded }) => logger.info({ serverId, unrecorded }, 'Spool server stopped')),
    server.events.on('error', ({ process, error }) =>
      logger.error({ serverId, process, err: error }, `Spool server process "${process}" failed: ${messageOf(error)}`),
    ),
    server.events.on('job:started', (e) => logger.debug(job(e.job), 'job started')),
    server.events.on('job:succeeded', (e) => logger.debug({ ...job(e.job), durationMs: e.durationMs }, 'job succeeded')),
    server.events.on('job:retry-scheduled', (e) =>
      logger.warn({ ...job(e.job), runAt: e.runAt.toISOString(), err: errorFields(e.error) }, `job failed, retry scheduled: ${e.error.message}`),
    ),
    server.events.on('job:failed', (e) => logger.error({ ...job(e.job), err: errorFields(e.error) }, `job failed: ${e.error.message}`)),
    server.events.on('job:requeued', (e) => logger.info({ ...job(e.job), reason: e.reason }, 'job returned to its queue')),
    server.events.on('job:abandoned', (e) => logger.warn({ ...job(e.job), reason: e.reason }, `job outcome dropped: ${e.reason}`)),
    server.events.on('job:overdue', (e) => logger.warn({ ...job(e.job), err: e.error }, `job given up while its handler still runs: ${e.error.message}`)),
    server.events.on('jobs:rescued', ({ requeued, failed }) => {
      if (requeued.length + failed.length === 0) return;
      logger.warn({ serverId, requeued, failed }, `expired leases rescued: ${requeued.length} requeued, ${failed.length} failed as poison pills`);
    }),
  ];
  return () => {
    for (const off of detach) off();
  };
}

/** A stored error record as an Error again, which log serializers (pino's `err`) know how to print. */
function errorFields(error: ErrorRecord): Error {
  return fromErrorRecord(error);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
