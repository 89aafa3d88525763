import pg from 'pg';

import { pollUntilFinished } from '../poll-until-finished.js';
import type { JobCost } from './cost-meter.js';
import { startCostMeter } from './cost-meter.js';
import { BENCH_POSTGRES_URL, analyzeSchema } from './database.js';

/** A burn-down's rate and what each job cost. */
export interface BurnDownResult {
  /** Jobs per second, from the workers' start until storage reported every job finished. */
  value: number;
  cost: JobCost;
}

/** Runs one statement on the monitor's connection and returns its rows. */
export type MonitorQuery = (text: string, values?: unknown[]) => Promise<Array<Record<string, unknown>>>;

/** One contender's side of a burn-down whose jobs are already enqueued (and their writer closed). */
export interface BurnDownContender {
  /** The schema that holds the contender's tables. */
  schema: string;
  /**
   * How many of the burn-down's jobs storage reports finished: the cheap reads a monitor of this
   * queue would make, through `query` (a connection of its own; each call one statement).
   */
  finished(query: MonitorQuery): Promise<number>;
  /** Starts the workers: the clock starts just before. */
  start(): Promise<void>;
  /** Stops the workers and closes every connection the contender holds. */
  stop(): Promise<void>;
}

/**
 * Measures a burn-down of `count` jobs the way a user would: `ANALYZE` the pre-filled tables, start
 * the workers, and stop the clock and the cost meter when storage reports all `count` finished
 * (polled every few ms on a connection of its own), not when the last handler returns.
 */
export async function measureBurnDown(count: number, contender: BurnDownContender): Promise<BurnDownResult> {
  await analyzeSchema(contender.schema);
  const monitor = new pg.Client({ connectionString: BENCH_POSTGRES_URL });
  await monitor.connect();
  let stopped = false;
  try {
    // Every statement on the monitor's connection is one transaction: counted, then subtracted from the commits.
    let statements = 0;
    const query: MonitorQuery = async (text, values) => {
      statements++;
      return (await monitor.query(text, values)).rows as Array<Record<string, unknown>>;
    };
    const finished = () => contender.finished(query);
    const before = await finished();
    if (before !== 0) throw new Error(`burn-down: storage reports ${before} jobs finished before the workers started`);
    const monitorPid = Number((await monitor.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    const meter = await startCostMeter(monitorPid);
    const statementsBefore = statements;
    const started = performance.now();
    await contender.start();
    const finish = await pollUntilFinished(finished, count);
    const seconds = (finish.at - started) / 1000;
    const stoppedMeter = await meter.stop();
    stopped = true;
    await contender.stop();
    await monitor.end();
    return { value: count / seconds, cost: await stoppedMeter.perJob(count, statements - statementsBefore) };
  } finally {
    if (!stopped) {
      await contender.stop();
      await monitor.end();
    }
  }
}
