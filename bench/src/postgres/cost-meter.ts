import { existsSync, readdirSync, readFileSync } from 'node:fs';

import { execute } from './database.js';

/** What one job of a burn-down cost, beyond its wall-clock time. */
export interface JobCost {
  /** WAL bytes written per job: the database's write work, independent of how busy the machine is. */
  walBytes: number;
  /**
   * CPU time of every PostgreSQL process per job (µs), the monitor's backend excluded, or null when
   * the server is not on this machine.
   */
  databaseCpuUs: number | null;
  /**
   * Transactions committed in the database per job (`pg_stat_database.xact_commit`), the monitor's
   * polls excluded; read-only ones count too, as PostgreSQL counts them.
   */
  commits: number;
  /** CPU time of the benchmark's own process per job (µs): the queue library's work, plus the monitor's polls. */
  clientCpuUs: number;
}

/** Clock ticks per second of /proc's CPU counters (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** utime + stime (+ cutime + cstime with `children`) of one process, from /proc; null if it is gone. */
function processTicks(pid: string | number, children: boolean): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // exited meanwhile, or no /proc
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime are fields 14-17 of stat, 12-15 after the name.
  const own = Number(fields[11]) + Number(fields[12]);
  return children ? own + Number(fields[13]) + Number(fields[14]) : own;
}

/**
 * CPU ticks of the local PostgreSQL: every live `postgres` process, plus what the postmaster has
 * collected from backends that already exited. Null without /proc or a local server. Other
 * databases on the same server count too: run benchmarks on an otherwise idle server.
 */
function databaseTicks(): number | null {
  if (!existsSync('/proc/self/stat')) return null;
  let ticks = 0;
  let found = false;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let comm: string;
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm !== 'postgres') continue;
    const t = processTicks(pid, true);
    if (t === null) continue;
    found = true;
    ticks += t;
  }
  return found ? ticks : null;
}

async function walPosition(): Promise<string> {
  return (await execute('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0].lsn as string;
}

async function committed(): Promise<number> {
  return Number((await execute('SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()')).rows[0].xact_commit);
}

/** The meter after the clock stopped: WAL and CPU are taken; commits wait for the contender to close. */
export interface StoppedCostMeter {
  /**
   * The cost per job. Call it once the contender has closed every connection: a backend publishes
   * its transaction counts at most once a second while it works and at the latest when it exits, so
   * only then does `pg_stat_database` hold all of them. `monitorTransactions` are the monitor's own
   * (one per poll), subtracted.
   */
  perJob(jobs: number, monitorTransactions: number): Promise<JobCost>;
}

/**
 * Starts measuring a burn-down; `stop()` at the clock's stop. `monitorPid` is the backend of the
 * monitor that polls for the finish: its CPU is not the contender's. Call it after the pre-fill's
 * connections are closed, so that their transactions are already counted.
 */
export async function startCostMeter(monitorPid: number): Promise<{ stop(): Promise<StoppedCostMeter> }> {
  const commitsBefore = await committed();
  const wal = await walPosition();
  const ticks = databaseTicks();
  const monitorTicks = processTicks(monitorPid, false);
  const cpu = process.cpuUsage();
  return {
    async stop() {
      const client = process.cpuUsage(cpu);
      const ticksAfter = databaseTicks();
      const monitorTicksAfter = processTicks(monitorPid, false);
      const walBytes = Number((await execute('SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn) AS d', [wal])).rows[0].d);
      const databaseTicksUsed =
        ticks === null || ticksAfter === null || monitorTicks === null || monitorTicksAfter === null ? null : ticksAfter - ticks - (monitorTicksAfter - monitorTicks);
      return {
        async perJob(jobs, monitorTransactions) {
          // Exited backends publish their counts on the way out; give the last ones a moment.
          await new Promise((resolve) => setTimeout(resolve, 250));
          const commits = (await committed()) - commitsBefore - monitorTransactions;
          return {
            walBytes: walBytes / jobs,
            databaseCpuUs: databaseTicksUsed === null ? null : (databaseTicksUsed * (1_000_000 / TICKS_PER_SECOND)) / jobs,
            commits: commits / jobs,
            clientCpuUs: (client.user + client.system) / jobs,
          };
        },
      };
    },
  };
}
