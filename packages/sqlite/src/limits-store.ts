import type { LimitRecord, LimitsSetParams } from '@spool/core';
import { scopeId, scopeOf } from '@spool/core';
import type { GateState, LimitsInForce } from '@spool/core/storage-kit';
import type { StateChange } from '@spool/core/storage-kit';
import { KEY_SEPARATOR, gateToPause, limitsFromJson, limitsInForce, queueBoundsOfRows } from '@spool/core/storage-kit';

import type { SqliteConnection } from './sqlite-connection.js';
import type { EventBatch } from './event-batch.js';
import type { WriteContext } from './write-context.js';

const UPSERT_CODE_SQL = `INSERT INTO spool_limits (scope, code) VALUES (?, ?)
  ON CONFLICT (scope) DO UPDATE SET code = excluded.code`;
const UPSERT_OPERATOR_SQL = `INSERT INTO spool_limits (scope, operator, set_by, set_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (scope) DO UPDATE SET operator = excluded.operator, set_by = excluded.set_by, set_at = excluded.set_at`;
const FORGET_EMPTY_SQL = 'DELETE FROM spool_limits WHERE scope = ? AND code IS NULL AND operator IS NULL';
const LIST_SQL = `SELECT l.scope, l.code, l.operator, l.set_by, l.set_at, coalesce(g.running, 0) AS running
  FROM spool_limits l LEFT JOIN spool_gates g ON g.gate = l.scope ORDER BY l.scope`;
const GATES_SQL = 'SELECT gate, running, window_start, window_count, paused_until FROM spool_gates WHERE gate IN (SELECT value FROM json_each(?))';
const WRITE_GATE_SQL = `INSERT INTO spool_gates (gate, running, window_start, window_count) VALUES (?, ?, ?, ?)
  ON CONFLICT (gate) DO UPDATE SET running = excluded.running, window_start = excluded.window_start, window_count = excluded.window_count`;
const HELD_SQL = 'SELECT held_gates, queue FROM spool_jobs WHERE id = ?';
const PAUSE_SQL = `INSERT INTO spool_gates (gate, paused_until) VALUES (?, ?)
  ON CONFLICT (gate) DO UPDATE SET paused_until = max(paused_until, excluded.paused_until)`;
const RELEASE_SQL = 'UPDATE spool_gates SET running = max(running - 1, 0) WHERE gate IN (SELECT value FROM json_each(?))';

interface LimitRow {
  scope: string;
  code: string | null;
  operator: string | null;
  set_by: string | null;
  set_at: number | null;
  running: number;
}

/** Stores one layer of a scope's limits; a scope left with neither layer is forgotten. */
export function setLimits(ctx: WriteContext, params: LimitsSetParams): void {
  const id = scopeId(params.scope);
  const json = params.limits === null ? null : JSON.stringify(params.limits);
  if (params.layer === 'code') ctx.conn.stmt(UPSERT_CODE_SQL).run(id, json);
  else ctx.conn.stmt(UPSERT_OPERATOR_SQL).run(id, json, json === null ? null : params.setBy, json === null ? null : ctx.now);
  ctx.conn.stmt(FORGET_EMPTY_SQL).run(id);
  // Limits raised or cleared may let held-back jobs start: wake every queue's servers.
  const queues = ctx.conn.pluck("SELECT substr(key, 7) FROM spool_counters WHERE key LIKE 'queue:%' AND value > 0").all() as string[];
  for (const queue of queues) ctx.events.enqueued(queue);
}

/** Every scope with stored limits, by scope id. */
export function listLimits(conn: SqliteConnection): LimitRecord[] {
  return (conn.stmt(LIST_SQL).all() as LimitRow[]).map((row) => ({
    scope: scopeOf(row.scope),
    code: row.code === null ? null : limitsFromJson(JSON.parse(row.code)),
    operator: row.operator === null ? null : { limits: limitsFromJson(JSON.parse(row.operator)), setBy: row.set_by, setAt: new Date(row.set_at!) },
    running: row.running,
  }));
}

/** The limits in force now (read in the claim's transaction: a tiny table). */
export function readLimitsInForce(conn: SqliteConnection): LimitsInForce {
  const rows = conn.stmt('SELECT scope, code, operator FROM spool_limits').all() as Array<Pick<LimitRow, 'scope' | 'code' | 'operator'>>;
  if (rows.length === 0) return EMPTY;
  return limitsInForce(
    rows.map((row) => ({
      scope: scopeOf(row.scope),
      code: row.code === null ? null : limitsFromJson(JSON.parse(row.code)),
      operator: row.operator === null ? null : { limits: limitsFromJson(JSON.parse(row.operator)) },
    })),
  );
}

const EMPTY: LimitsInForce = new Map();

/**
 * The bounds in force of the given queues (read in the create's write transaction, which no other
 * writer shares: the count read after it is exact). One primary-key probe per queue.
 */
export function readQueueBounds(conn: SqliteConnection, queues: ReadonlySet<string>): Map<string, number> {
  const rows: Array<Pick<LimitRow, 'scope' | 'code' | 'operator'>> = [];
  for (const queue of queues) {
    const row = conn.stmt('SELECT scope, code, operator FROM spool_limits WHERE scope = ?').get(scopeId({ queue })) as Pick<LimitRow, 'scope' | 'code' | 'operator'> | undefined;
    if (row !== undefined) rows.push(row);
  }
  return rows.length === 0 ? new Map() : queueBoundsOfRows(rows);
}

/** What the given gates hold (a gate without a row holds nothing and is left out). */
export function readGates(conn: SqliteConnection, gates: readonly string[]): Map<string, GateState> {
  const rows = conn.stmt(GATES_SQL).all(JSON.stringify(gates)) as Array<{ gate: string; running: number; window_start: number; window_count: number; paused_until: number }>;
  return new Map(rows.map((r) => [r.gate, { running: r.running, windowStart: r.window_start, windowCount: r.window_count, pausedUntil: r.paused_until }]));
}

/**
 * The gates of the keys of `scopes` that hold something (a range of the gates' primary key per
 * scope): read before a claim reads jobs key by key, so that it never reads a full key's jobs.
 */
export function readKeyGates(conn: SqliteConnection, scopes: readonly string[]): Map<string, GateState> {
  const read = conn.stmt('SELECT gate, running, window_start, window_count, paused_until FROM spool_gates WHERE gate > ? AND gate < ? AND (running > 0 OR window_count > 0 OR paused_until > 0)');
  const gates = new Map<string, GateState>();
  for (const scope of scopes) {
    // Keys of a scope are `scope#key`: the range after `scope#` and before `scope` + the next character.
    const rows = read.all(`${scope}${KEY_SEPARATOR}`, `${scope}${String.fromCharCode(KEY_SEPARATOR.charCodeAt(0) + 1)}`) as Array<{ gate: string; running: number; window_start: number; window_count: number; paused_until: number }>;
    for (const r of rows) gates.set(r.gate, { running: r.running, windowStart: r.window_start, windowCount: r.window_count, pausedUntil: r.paused_until });
  }
  return gates;
}

/** Writes the new states of gates an admission decided. */
export function writeGates(conn: SqliteConnection, gates: ReadonlyMap<string, GateState>): void {
  const write = conn.stmt(WRITE_GATE_SQL);
  for (const [gate, s] of gates) write.run(gate, s.running, s.windowStart, s.windowCount);
}

/**
 * Gives back the gates job `id` took when it started (its change out of processing was just
 * written), and wakes its queue's servers: the freed place may let a held-back job start. A
 * rate-limited job's change (`pause`) pauses the gate core picks among those. Nothing to do, and no
 * read, while no job holds a gate.
 */
export function releaseGates(ctx: WriteContext, id: string, events: EventBatch, pause: StateChange['pause']): void {
  if (!ctx.gatesHeld()) return;
  const row = ctx.conn.stmt(HELD_SQL).get(id) as { held_gates: string | null; queue: string } | undefined;
  if (!row || row.held_gates === null) return;
  const paused = pause === null ? null : gateToPause(pause.candidates, JSON.parse(row.held_gates) as string[]);
  if (paused !== null) ctx.conn.stmt(PAUSE_SQL).run(paused, pause!.until);
  ctx.conn.stmt(RELEASE_SQL).run(row.held_gates);
  events.enqueued(row.queue);
}
