import { Redis } from 'ioredis';

import { pollUntilFinished } from '../poll-until-finished.js';
import { BENCH_REDIS_URL } from './redis-bench-env.js';

/** Redis's CPU seconds so far (user + system, `INFO cpu`) and commands processed (`INFO stats`). */
async function redisCounters(client: Redis): Promise<{ cpuSeconds: number; commands: number }> {
  const info = await client.info();
  const read = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN);
  return { cpuSeconds: read('used_cpu_user') + read('used_cpu_sys'), commands: read('total_commands_processed') };
}

/**
 * What waits in Redis while a burn-down runs, pre-filled before the clock starts and left in place:
 * nothing; jobs in another queue that no worker serves (`unknown`); or jobs due in a year in the
 * served queue itself (`future`).
 */
export type Backlog = 'none' | 'unknown' | 'future';

/** Backlog jobs per pre-fill call (`enqueueMany` / `addBulk`). */
export const BACKLOG_BATCH = 1000;

/** One year in ms: how far in the future the `future` backlog is due. */
export const ONE_YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/** A burn-down's rate with what each job cost: Redis's CPU and commands (the whole server's), and this process's CPU. */
export interface BurnDown {
  jobsPerSecond: number;
  redisCpuUsPerJob: number;
  /** Commands Redis processed per job, each command a script runs counted too (`total_commands_processed`). */
  redisCommandsPerJob: number;
  processCpuUsPerJob: number;
}

/**
 * Measures a burn-down of `jobs` jobs already enqueued: the clock starts with `start` (which starts
 * the workers) and stops when `finished` (a count read from Redis as a monitor would, on a connection
 * of its own) reports all `jobs`, polled every few ms; not at the last handler call or event. Redis's
 * figures cover the same interval and include whatever else the server ran meanwhile, the monitor's
 * polls too (one call each).
 */
export async function measureBurnDown(jobs: number, start: () => Promise<void>, finished: () => Promise<number>): Promise<BurnDown> {
  const client = new Redis(BENCH_REDIS_URL);
  try {
    const before = await redisCounters(client);
    const processBefore = process.cpuUsage();
    const started = performance.now();
    await start();
    const finish = await pollUntilFinished(finished, jobs);
    const seconds = (finish.at - started) / 1000;
    const processUsed = process.cpuUsage(processBefore);
    const after = await redisCounters(client);
    return {
      jobsPerSecond: jobs / seconds,
      redisCpuUsPerJob: ((after.cpuSeconds - before.cpuSeconds) * 1e6) / jobs,
      // The INFO that took the first reading is counted in the second: one command, not the contender's.
      redisCommandsPerJob: (after.commands - before.commands - 1) / jobs,
      processCpuUsPerJob: (processUsed.user + processUsed.system) / jobs,
    };
  } finally {
    client.disconnect();
  }
}
