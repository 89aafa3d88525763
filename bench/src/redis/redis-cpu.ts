import { Redis } from 'ioredis';

import { BENCH_REDIS_URL } from './redis-bench-env.js';

/** Seconds of CPU the Redis server has used so far (user + system, from `INFO cpu`). */
async function redisCpuSeconds(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const read = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN);
  return read('used_cpu_user') + read('used_cpu_sys');
}

/** A burn-down's rate with what each job cost in CPU: Redis's (the server's whole process) and this process's. */
export interface BurnDown {
  jobsPerSecond: number;
  redisCpuUsPerJob: number;
  processCpuUsPerJob: number;
}

/**
 * Measures `run` (which processes `jobs` jobs): wall time, and the CPU Redis and this process used
 * meanwhile. Redis's figure includes whatever else the server ran in that time.
 */
export async function measureBurnDown(jobs: number, run: () => Promise<void>): Promise<BurnDown> {
  const client = new Redis(BENCH_REDIS_URL);
  try {
    const redisBefore = await redisCpuSeconds(client);
    const processBefore = process.cpuUsage();
    const started = performance.now();
    await run();
    const seconds = (performance.now() - started) / 1000;
    const processUsed = process.cpuUsage(processBefore);
    const redisUsed = (await redisCpuSeconds(client)) - redisBefore;
    return {
      jobsPerSecond: jobs / seconds,
      redisCpuUsPerJob: (redisUsed * 1e6) / jobs,
      processCpuUsPerJob: (processUsed.user + processUsed.system) / jobs,
    };
  } finally {
    client.disconnect();
  }
}
