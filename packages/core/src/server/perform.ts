import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import { JobNotFoundError, StateConflictError } from '../errors.js';
import type { JobView } from '../job/job-view.js';
import { readJobView } from '../job/job-view.js';
import type { JobState } from '../states/states.js';
import type { Timer } from '../util/runtime.js';
import { JobRunner, RunningJob } from './job-runner.js';
import { LogBuffer } from './log-buffer.js';
import type { ServerHost } from './server-host.js';
import { ThreadPool } from './thread-pool.js';

/** What `perform` did: the state the job ended in, and its result or error. */
export interface PerformResult {
  state: JobState;
  job: JobView | null;
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
export async function performJob(host: ServerHost, id: string): Promise<PerformResult> {
  const { storage, runtime } = host;
  const performerId = `perform:${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const job = await storage.jobClaim({
    id,
    expected: ['enqueued', 'scheduled', 'failed', 'succeeded', 'deleted'],
    serverId: performerId,
    leaseMs: PERFORM_LEASE_MS,
  });
  if (!job) {
    const current = await storage.jobGet({ id });
    if (!current) throw new JobNotFoundError(id);
    throw new StateConflictError(`Job ${id} is ${current.state}; perform runs jobs that are not processing or awaiting.`);
  }
  const errors: unknown[] = [];
  const logs = new LogBuffer(storage, runtime, (e) => errors.push(e));
  let pool: ThreadPool | null = null;
  const runner = new JobRunner(host, logs, () => (pool ??= new ThreadPool(1, runtime)));
  const running = new RunningJob(job, runtime.clock.now());
  let renewal: Timer | null = null;
  const renew = (): void => {
    renewal = runtime.setTimer(() => {
      void storage.jobLeaseExtend({ leases: [{ id, leaseToken: job.leaseToken }], leaseMs: PERFORM_LEASE_MS }).catch((error: unknown) => errors.push(error));
      renew();
    }, PERFORM_LEASE_MS / 3);
  };
  renew();
  try {
    const outcome = await runner.run(running);
    await logs.flush();
    if (outcome) {
      await storage.jobsComplete({ completions: [{ id, leaseToken: job.leaseToken, outcome }], serverId: performerId });
    }
  } finally {
    (renewal as Timer | null)?.clear();
    await (pool as ThreadPool | null)?.close();
  }
  const after = await readJobView(storage, id);
  return { state: after?.state ?? 'deleted', job: after, errors };
}
