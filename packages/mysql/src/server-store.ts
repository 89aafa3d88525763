import type { ServerRecord } from '@spool/core';

import type { Executor } from './executor.js';
import type { Tables } from './tables.js';
import type { WriteContext } from './write-context.js';

const HEARTBEAT_SQL = (servers: string): string => `INSERT INTO ${servers} (id, hostname, pid, queues, concurrency, job_names, running, started_at, heartbeat_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE
  hostname = VALUES(hostname), pid = VALUES(pid), queues = VALUES(queues), concurrency = VALUES(concurrency),
  job_names = VALUES(job_names), running = VALUES(running), started_at = VALUES(started_at), heartbeat_at = VALUES(heartbeat_at)`;

/** Announces a server or refreshes its heartbeat. */
export async function heartbeat(ctx: WriteContext, server: Omit<ServerRecord, 'heartbeatAt'>): Promise<void> {
  await ctx.db.exec(HEARTBEAT_SQL(ctx.t.servers), [
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
  const rows = await ctx.db.rows(`SELECT id FROM ${ctx.t.servers} WHERE heartbeat_at < ? FOR UPDATE`, [ctx.now - timeoutMs]);
  const ids = rows.map((r) => r.id as string);
  if (ids.length > 0) await ctx.db.exec(`DELETE FROM ${ctx.t.servers} WHERE id IN (?)`, [ids]);
  return ids;
}

/** Live servers by id. */
export async function listServers(db: Executor, t: Tables): Promise<ServerRecord[]> {
  const rows = await db.rows(`SELECT * FROM ${t.servers} ORDER BY id`);
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
    await ctx.db.exec(`INSERT INTO ${ctx.t.pausedQueues} (name) VALUES (?) ON DUPLICATE KEY UPDATE name = name`, [queue]);
  } else {
    await ctx.db.exec(`DELETE FROM ${ctx.t.pausedQueues} WHERE name = ?`, [queue]);
    ctx.events.enqueued(queue);
  }
}
