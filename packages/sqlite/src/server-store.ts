import type { ServerRecord } from '@spool/core';

import type { SqliteConnection } from './sqlite-connection.js';
import type { WriteContext } from './write-context.js';

interface ServerRow {
  id: string;
  hostname: string;
  pid: number;
  queues: string;
  concurrency: number;
  job_names: string;
  running: number;
  started_at: number;
  heartbeat_at: number;
}

const HEARTBEAT_SQL = `INSERT INTO spool_servers (id, hostname, pid, queues, concurrency, job_names, running, started_at, heartbeat_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
  hostname = excluded.hostname, pid = excluded.pid, queues = excluded.queues, concurrency = excluded.concurrency,
  job_names = excluded.job_names, running = excluded.running, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`;

/** Announces a server or refreshes its heartbeat. */
export function heartbeat(ctx: WriteContext, server: Omit<ServerRecord, 'heartbeatAt'>): void {
  ctx.conn
    .stmt(HEARTBEAT_SQL)
    .run(
      server.id,
      server.hostname,
      server.pid,
      JSON.stringify(server.queues),
      server.concurrency,
      JSON.stringify(server.jobNames),
      server.running,
      new Date(server.startedAt).getTime(),
      ctx.now,
    );
}

/** Removes one server's record. */
export function removeServer(ctx: WriteContext, id: string): void {
  ctx.conn.stmt('DELETE FROM spool_servers WHERE id = ?').run(id);
}

/** Removes servers whose heartbeat is older than `timeoutMs`; returns their ids. */
export function removeDeadServers(ctx: WriteContext, timeoutMs: number): string[] {
  return ctx.conn.pluck('DELETE FROM spool_servers WHERE heartbeat_at < ? RETURNING id').all(ctx.now - timeoutMs) as string[];
}

/** Live servers by id. */
export function listServers(conn: SqliteConnection): ServerRecord[] {
  const rows = conn.stmt('SELECT * FROM spool_servers ORDER BY id').all() as ServerRow[];
  return rows.map((row) => ({
    id: row.id,
    hostname: row.hostname,
    pid: row.pid,
    queues: JSON.parse(row.queues) as string[],
    concurrency: row.concurrency,
    jobNames: JSON.parse(row.job_names) as string[],
    running: row.running,
    startedAt: new Date(row.started_at),
    heartbeatAt: new Date(row.heartbeat_at),
  }));
}

/** Pauses or resumes a queue; resuming wakes the servers of this process. */
export function setQueuePaused(ctx: WriteContext, queue: string, paused: boolean): void {
  if (paused) {
    ctx.conn.stmt('INSERT INTO spool_paused_queues (name) VALUES (?) ON CONFLICT (name) DO NOTHING').run(queue);
  } else {
    ctx.conn.stmt('DELETE FROM spool_paused_queues WHERE name = ?').run(queue);
    ctx.events.enqueued(queue);
  }
}
