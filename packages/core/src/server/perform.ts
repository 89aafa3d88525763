import type { Spool } from '../client/spool.js';
import { JobNotFoundError, StateConflictError } from '../errors.js';
import type { JobState } from '../states/states.js';
import { LogBuffer } from './log-buffer.js';
import { JobRunner, RunningJob } from './job-runner.js';
import { ThreadPool } from './thread-pool.js';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** What `perform` did: the state the job ended in, and its result or error. */
export interface PerformResult {
  state: JobState;
  job: Awaited<ReturnType<Spool['getJob']>>;
  /**
   * Storage errors that did not stop the run, in the order they happened: log lines that could not be
   * written, lease renewals that failed. Empty when all went well.
   */
  errors: unknown[];
}

const PERFORM_LEASE_MS = 30_000;

/**
 * Runs one stored job in this process now, through the same runner and state machine as a server:
 * claimed under a lease (renewed while it runs), then completed.
 */
export async function performJob(spool: Spool, id: string): Promise<PerformResult> {
  const performerId = `perform:${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const job = await spool.storage.jobClaim({
    id,
    expected: ['enqueued', 'scheduled', 'failed', 'succeeded', 'deleted'],
    serverId: performerId,
    leaseMs: PERFORM_LEASE_MS,
  });
  if (!job) {
    const current = await spool.storage.jobGet({ id });
    if (!current) throw new JobNotFoundError(id);
    throw new StateConflictError(`Job ${id} is ${current.state}; perform runs jobs that are not processing or awaiting.`);
  }
  const errors: unknown[] = [];
  const logs = new LogBuffer(spool.storage, (e) => errors.push(e));
  let pool: ThreadPool | null = null;
  const runner = new JobRunner(spool, logs, () => (pool ??= new ThreadPool(1)));
  const running = new RunningJob(job);
  const renew = setInterval(() => {
    void spool.storage.jobLeaseExtend({ leases: [{ id, leaseToken: job.leaseToken }], leaseMs: PERFORM_LEASE_MS }).catch((error: unknown) => errors.push(error));
  }, PERFORM_LEASE_MS / 3);
  try {
    const outcome = await runner.run(running);
    await logs.flush();
    if (outcome) {
      await spool.storage.jobsComplete({ completions: [{ id, leaseToken: job.leaseToken, outcome }], serverId: performerId });
    }
  } finally {
    clearInterval(renew);
    await (pool as ThreadPool | null)?.close();
  }
  const after = await spool.getJob(id);
  return { state: after?.state ?? 'deleted', job: after, errors };
}
