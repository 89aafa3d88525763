import type { ServerRecord } from '@spool/core';

import type { Executor } from './executor.js';
import type { WriteContext } from './write-context.js';

const HEARTBEAT_SQL = (s: string): string => `INSERT INTO ${s}.servers (id, hostname, pid, queues, concurrency, job_names, running, started_at, heartbeat_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (id) DO UPDATE SET
  hostname = excluded.hostname, pid = excluded.pid, queues = excluded.queues, concurrency = excluded.concurrency,
  job_names = excluded.job_names, running = excluded.running, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`;

/** Announces a server or refreshes its heartbeat. */
export async function heartbeat(ctx: WriteContext, server: Omit<ServerRecord, 'heartbeatAt'>): Promise<void> {
  await ctx.db.run(HEARTBEAT_SQL(ctx.s), [
    server.id,
    server.hostname,
    server.pid,
    JSON.stringify(server.queues),
    server.concurrency,
    JSON.stringify(server.jobNames),
    server.running,
    new Date(server.startedAt).getTime(),
    ctx.now,
  ]);
}

/** Removes servers whose heartbeat is older than `timeoutMs`; returns their ids. */
export async function removeDeadServers(ctx: WriteContext, timeoutMs: number): Promise<string[]> {
  const rows = await ctx.db.run(`DELETE FROM ${ctx.s}.servers WHERE heartbeat_at < $1 RETURNING id`, [ctx.now - timeoutMs]);
  return rows.map((r) => r.id as string);
}

/** Live servers by id. */
export async function listServers(db: Executor, s: string): Promise<ServerRecord[]> {
  const rows = await db.run(`SELECT * FROM ${s}.servers ORDER BY id`);
  return rows.map((row) => ({
    id: row.id as string,
    hostname: row.hostname as string,
    pid: row.pid as number,
    queues: JSON.parse(row.queues as string) as string[],
    concurrency: row.concurrency as number,
    jobNames: JSON.parse(row.job_names as string) as string[],
    running: row.running as number,
    startedAt: new Date(Number(row.started_at)),
    heartbeatAt: new Date(Number(row.heartbeat_at)),
  }));
}

/** Pauses or resumes a queue; resuming wakes the servers. */
export async function setQueuePaused(ctx: WriteContext, queue: string, paused: boolean): Promise<void> {
  if (paused) {
    await ctx.db.run(`INSERT INTO ${ctx.s}.paused_queues (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [queue]);
  } else {
    await ctx.db.run(`DELETE FROM ${ctx.s}.paused_queues WHERE name = $1`, [queue]);
    ctx.events.enqueued(queue);
  }
}
