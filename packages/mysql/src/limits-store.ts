import type { GateReading, LimitRecord, LimitsSetParams } from '@spool/core';
import { scopeId, scopeOf } from '@spool/core';
import type { GateState, LimitsInForce } from '@spool/core/storage-kit';
import { KEY_SEPARATOR, limitsFromJson, limitsInForce } from '@spool/core/storage-kit';

import type { Executor, Row, Statement } from './executor.js';
import type { Tables } from './tables.js';
import type { WriteContext } from './write-context.js';

// Gates are locked in gate order wherever several are locked in one statement, and a claim locks
// the scope gates it may meet before any key gate (jobs-fetch-gated.ts), so claims and releases
// never wait for each other in a cycle; a deadlock that happens anyway is retried by the storage.
const GATES_SQL = (gates: string): string =>
  `SELECT gate, running, window_start, window_count, paused_until FROM ${gates} WHERE gate IN (?) ORDER BY gate FOR UPDATE`;

/**
 * Locks the gates of every key of `scopes` (the rows `scope#...`), as a claim that holds the scopes'
 * rows reads them before it reads jobs key by key: the full keys are passed over unread.
 */
export async function lockKeyGates(ctx: WriteContext, scopes: readonly string[]): Promise<Map<string, GateState>> {
  const states = new Map<string, GateState>();
  for (const scope of scopes) {
    const prefix = `${scope}${KEY_SEPARATOR}`.replace(/[\\%_]/g, (c) => `\\${c}`);
    const rows = await ctx.db.rows(`SELECT gate, running, window_start, window_count, paused_until FROM ${ctx.t.gates} WHERE gate LIKE ? ORDER BY gate FOR UPDATE`, [`${prefix}%`]);
    for (const row of rows) states.set(row.gate as string, { running: Number(row.running), windowStart: Number(row.window_start), windowCount: Number(row.window_count), pausedUntil: Number(row.paused_until) });
  }
  return states;
}

/** Stores one layer of a scope's limits; a scope left with neither layer is forgotten. */
export async function setLimits(ctx: WriteContext, params: LimitsSetParams): Promise<void> {
  const { t } = ctx;
  const id = scopeId(params.scope);
  const json = params.limits === null ? null : JSON.stringify(params.limits);
  if (params.layer === 'code') {
    await ctx.db.exec(`INSERT INTO ${t.limits} (scope, code) VALUES (?, ?) ON DUPLICATE KEY UPDATE code = VALUES(code)`, [id, json]);
  } else {
    await ctx.db.exec(
      `INSERT INTO ${t.limits} (scope, operator, set_by, set_at) VALUES (?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE operator = VALUES(operator), set_by = VALUES(set_by), set_at = VALUES(set_at)`,
      [id, json, json === null ? null : params.setBy, json === null ? null : ctx.now],
    );
  }
  await ctx.db.exec(`DELETE FROM ${t.limits} WHERE scope = ? AND code IS NULL AND operator IS NULL`, [id]);
  // The scope's gate row exists before any claim needs it: claimers that all found it missing
  // would each insert it, and all but one deadlock (lockGates). Key gates are created by claimers
  // that hold their scope's gate, one at a time.
  if (json !== null) await ctx.db.exec(`INSERT IGNORE INTO ${t.gates} (gate) VALUES (?)`, [id]);
  // Limits raised or cleared may let held-back jobs start: wake the servers of every queue with
  // waiting jobs, here and (through the change watcher) in other processes.
  const queues = await ctx.db.rows(
    `SELECT SUBSTRING(\`key\`, 7) AS name FROM ${t.counters} WHERE \`key\` LIKE 'queue:%' GROUP BY \`key\` HAVING SUM(value) > 0`,
  );
  for (const { name } of queues) {
    ctx.woke(name as string);
    ctx.events.enqueued(name as string);
  }
}

/** Every scope with stored limits, by scope id, with how many run under the scope's own gate. */
export async function listLimits(db: Executor, t: Tables): Promise<LimitRecord[]> {
  const rows = await db.rows(
    `SELECT l.scope, l.code, l.operator, l.set_by, l.set_at, COALESCE(g.running, 0) AS running
     FROM ${t.limits} l LEFT JOIN ${t.gates} g ON g.gate = l.scope ORDER BY l.scope`,
  );
  return rows.map((row) => ({
    scope: scopeOf(row.scope as string),
    code: parseLimits(row.code),
    operator: row.operator === null ? null : { limits: parseLimits(row.operator)!, setBy: row.set_by as string | null, setAt: new Date(Number(row.set_at)) },
    running: Number(row.running),
  }));
}

/** The limits in force, from the rows of the limits table (`scope`, `code`, `operator`). */
export function inForceOf(rows: readonly Row[]): LimitsInForce {
  if (rows.length === 0) return NO_LIMITS;
  return limitsInForce(
    rows.map((row) => ({
      scope: scopeOf(row.scope as string),
      code: parseLimits(row.code),
      operator: row.operator === null ? null : { limits: parseLimits(row.operator)! },
    })),
  );
}

const NO_LIMITS: LimitsInForce = new Map();

function parseLimits(text: unknown): ReturnType<typeof limitsFromJson> | null {
  return text === null || text === undefined ? null : limitsFromJson(JSON.parse(text as string));
}

/**
 * Locks the given gates and returns what they hold, creating the rows of gates never used. The
 * rows that exist are locked first by a locking read (a record lock each, no gap); a missing row is
 * then inserted (its insert locks it) and read. Not INSERT IGNORE first: a duplicate takes a shared
 * lock, and two claimers that both hold one and want the exclusive lock deadlock every time.
 */
export async function lockGates(ctx: WriteContext, gates: readonly string[]): Promise<Map<string, GateState>> {
  const states = new Map<string, GateState>();
  if (gates.length === 0) return states;
  const read = async (ids: readonly string[]): Promise<void> => {
    for (const row of await ctx.db.rows(GATES_SQL(ctx.t.gates), [ids])) {
      states.set(row.gate as string, {
        running: Number(row.running),
        windowStart: Number(row.window_start),
        windowCount: Number(row.window_count),
        pausedUntil: Number(row.paused_until),
      });
    }
  };
  await read(gates);
  const missing = gates.filter((g) => !states.has(g));
  if (missing.length > 0) {
    await ctx.db.exec(`INSERT IGNORE INTO ${ctx.t.gates} (gate) VALUES ?`, [missing.map((g) => [g])]);
    await read(missing);
  }
  return states;
}

/** What the given gates hold, read without a lock (for an operator's view). */
export async function readGates(db: Executor, t: Tables, gates: readonly string[]): Promise<GateReading[]> {
  if (gates.length === 0) return [];
  const rows = await db.rows(`SELECT gate, running, window_start, window_count, paused_until FROM ${t.gates} WHERE gate IN (?) ORDER BY gate`, [[...gates]]);
  return rows.map((row) => ({
    gate: row.gate as string,
    state: { running: Number(row.running), windowStart: Number(row.window_start), windowCount: Number(row.window_count), pausedUntil: Number(row.paused_until) },
  }));
}

/** Writes the new states of gates an admission decided (rows the claim has locked). */
export async function writeGates(ctx: WriteContext, gates: ReadonlyMap<string, GateState>): Promise<void> {
  if (gates.size === 0) return;
  const entries = [...gates];
  const cases = 'WHEN ? THEN ? '.repeat(entries.length);
  await ctx.db.exec(
    `UPDATE ${ctx.t.gates} SET running = CASE gate ${cases}END, window_start = CASE gate ${cases}END, window_count = CASE gate ${cases}END WHERE gate IN (?)`,
    [
      ...entries.flatMap(([gate, s]) => [gate, s.running]),
      ...entries.flatMap(([gate, s]) => [gate, s.windowStart]),
      ...entries.flatMap(([gate, s]) => [gate, s.windowCount]),
      entries.map(([gate]) => gate),
    ],
  );
}

/**
 * The statement that gives back gates, `count` times each (rows locked in gate order). The scope
 * gate of every key gate is locked with them, unchanged when the job did not take it: a claim holds
 * a key's scope gate before it locks the key's gate, so a release that holds a key gate has its
 * scope's too, and the two never wait for each other in a cycle. `paused`: gates (among those
 * released) that rate-limited jobs pause, until when (a later pause already stored is kept).
 */
export function releaseGatesStatement(t: Tables, counts: ReadonlyMap<string, number>, paused: ReadonlyMap<string, number> = new Map()): Statement {
  const released = new Map(counts);
  for (const gate of counts.keys()) {
    const at = gate.indexOf(KEY_SEPARATOR);
    if (at >= 0 && !released.has(gate.slice(0, at))) released.set(gate.slice(0, at), 0);
  }
  const entries = [...released].filter(([, n]) => n > 0);
  const pauses = [...paused];
  const pauseSql = pauses.length === 0 ? '' : `paused_until = GREATEST(paused_until, CASE gate ${'WHEN ? THEN ? '.repeat(pauses.length)}ELSE 0 END), `;
  return [
    `UPDATE ${t.gates} SET ${pauseSql}running = GREATEST(running - CASE gate ${'WHEN ? THEN ? '.repeat(entries.length)}ELSE 0 END, 0) WHERE gate IN (?)`,
    [...pauses.flat(), ...entries.flat(), [...released.keys()].sort()],
  ];
}

/** The gates a job took, from its `held_gates` column (null when it took none). */
export function heldGates(value: unknown): string[] | null {
  if (value === null || value === undefined) return null;
  const gates = JSON.parse(value as string) as unknown;
  return Array.isArray(gates) && gates.length > 0 ? (gates as string[]) : null;
}
