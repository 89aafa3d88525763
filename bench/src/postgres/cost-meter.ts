import { existsSync, readdirSync, readFileSync } from 'node:fs';

import { execute } from './database.js';

/** What one job of a burn-down cost, beyond its wall-clock time. */
export interface JobCost {
  /** WAL bytes written per job: the database's write work, independent of how busy the machine is. */
  walBytes: number;
  /** CPU time of every PostgreSQL process per job (µs), or null when the server is not on this machine. */
  databaseCpuUs: number | null;
  /** CPU time of the benchmark's own process per job (µs): the queue library's work. */
  clientCpuUs: number;
}

/** Clock ticks per second of /proc's CPU counters (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

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
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    if (!stat.includes('(postgres)')) continue;
    found = true;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime are fields 14-17 of stat, 12-15 after the name.
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  }
  return found ? ticks : null;
}

async function walPosition(): Promise<string> {
  return (await execute('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0].lsn as string;
}

/** Starts measuring; `stop(jobs)` returns the cost per job since the start. */
export async function startCostMeter(): Promise<{ stop(jobs: number): Promise<JobCost> }> {
  const wal = await walPosition();
  const ticks = databaseTicks();
  const cpu = process.cpuUsage();
  return {
    async stop(jobs) {
      const client = process.cpuUsage(cpu);
      const ticksAfter = databaseTicks();
      const walBytes = Number((await execute('SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn) AS d', [wal])).rows[0].d);
      return {
        walBytes: walBytes / jobs,
        databaseCpuUs: ticks === null || ticksAfter === null ? null : ((ticksAfter - ticks) * (1_000_000 / TICKS_PER_SECOND)) / jobs,
        clientCpuUs: (client.user + client.system) / jobs,
      };
    },
  };
}
