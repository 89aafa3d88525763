import type { GateReading, LimitRecord, LimitsSetParams } from '@spool/core';
import { scopeId, scopeOf } from '@spool/core';
import type { GateState, LimitsInForce, QueueBounds } from '@spool/core/storage-kit';
import type { StateChange } from '@spool/core/storage-kit';
import { KEY_SEPARATOR, gateToPause, limitsFromJson, limitsInForce, queueBoundsInForce } from '@spool/core/storage-kit';

import type { EventBatch } from './event-batch.js';
import type { Executor } from './executor.js';
import type { WriteContext } from './write-context.js';

interface LimitRow {
  scope: string;
  code: string | null;
  operator: string | null;
  set_by?: string | null;
  set_at?: string | number | null;
  running?: number;
}

/** Stores one layer of a scope's limits; a scope left with neither layer is forgotten. Wakes every queue's servers. */
export async function setLimits(ctx: WriteContext, params: LimitsSetParams): Promise<void> {
  const id = scopeId(params.scope);
  const json = params.limits === null ? null : JSON.stringify(params.limits);
  if (params.layer === 'code') {
    await ctx.db.run(`INSERT INTO ${ctx.s}.limits (scope, code) VALUES ($1, $2) ON CONFLICT (scope) DO UPDATE SET code = excluded.code`, [id, json]);
  } else {
    await ctx.db.run(
      `INSERT INTO ${ctx.s}.limits (scope, operator, set_by, set_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (scope) DO UPDATE SET operator = excluded.operator, set_by = excluded.set_by, set_at = excluded.set_at`,
      [id, json, json === null ? null : params.setBy, json === null ? null : ctx.now],
    );
  }
  await ctx.db.run(`DELETE FROM ${ctx.s}.limits WHERE scope = $1 AND code IS NULL AND operator IS NULL`, [id]);
  // Limits raised or cleared may let held-back jobs start.
  const queues = await ctx.db.run(`SELECT DISTINCT substr(key, 7) AS queue FROM ${ctx.s}.counters WHERE key LIKE 'queue:%'`);
  for (const row of queues) ctx.events.enqueued(row.queue as string);
}

/** Every scope with stored limits, by scope id, with how many run under the scope's own gate. */
export async function listLimits(db: Executor, s: string): Promise<LimitRecord[]> {
  const rows = (await db.run(
    `SELECT l.scope, l.code, l.operator, l.set_by, l.set_at, coalesce(g.running, 0) AS running
     FROM ${s}.limits l LEFT JOIN ${s}.gates g ON g.gate = l.scope ORDER BY l.scope`,
  )) as unknown as LimitRow[];
  return rows.map((row) => ({
    scope: scopeOf(row.scope),
    code: row.code === null ? null : limitsFromJson(JSON.parse(row.code)),
    operator: row.operator === null ? null : { limits: limitsFromJson(JSON.parse(row.operator)), setBy: row.set_by ?? null, setAt: new Date(Number(row.set_at)) },
    running: Number(row.running ?? 0),
  }));
}

/** The limits in force and the queues' bounds, read from the (tiny) limits table. */
export async function readLimitsInForce(db: Executor, s: string): Promise<{ limits: LimitsInForce; bounds: QueueBounds }> {
  const rows = (await db.run(`SELECT scope, code, operator FROM ${s}.limits`)) as unknown as LimitRow[];
  const records = rows.map((row) => ({
    scope: scopeOf(row.scope),
    code: row.code === null ? null : limitsFromJson(JSON.parse(row.code)),
    operator: row.operator === null ? null : { limits: limitsFromJson(JSON.parse(row.operator)) },
  }));
  return { limits: limitsInForce(records), bounds: queueBoundsInForce(records) };
}

/**
 * Locks the given gates, creating their rows first, and returns what they hold, in one statement:
 * claimers of the same gates wait for each other, so admission decides on what is stored. Rows are
 * taken in gate order (an upsert locks each row it meets), which keeps two claims from waiting on
 * each other in a circle.
 */
export async function lockGates(ctx: WriteContext, gates: readonly string[]): Promise<Map<string, GateState>> {
  if (gates.length === 0) return new Map();
  const rows = await ctx.db.run(
    `INSERT INTO ${ctx.s}.gates AS g (gate) SELECT unnest($1::text[]) ORDER BY 1
     ON CONFLICT (gate) DO UPDATE SET gate = g.gate RETURNING gate, running, window_start, window_count, paused_until`,
    [[...gates].sort()],
  );
  return new Map(rows.map((r) => [r.gate as string, gateStateOf(r)]));
}

function gateStateOf(r: Record<string, unknown>): GateState {
  return { running: Number(r.running), windowStart: Number(r.window_start), windowCount: Number(r.window_count), pausedUntil: Number(r.paused_until) };
}

/** What the given gates hold, read without a lock (for an operator's view). */
export async function readGates(db: Executor, s: string, gates: readonly string[]): Promise<GateReading[]> {
  if (gates.length === 0) return [];
  const rows = await db.run(`SELECT gate, running, window_start, window_count, paused_until FROM ${s}.gates WHERE gate = ANY($1::text[]) ORDER BY gate`, [[...gates]]);
  return rows.map((r) => ({ gate: r.gate as string, state: gateStateOf(r) }));
}

/**
 * What the keys of `scopes` hold, read without a lock: a claim passes over the full ones before it
 * reads jobs key by key. Only a filter: what admission decides on is read again under a lock.
 */
export async function peekKeyGates(ctx: WriteContext, scopes: readonly string[]): Promise<Map<string, GateState>> {
  if (scopes.length === 0) return new Map();
  const rows = await ctx.db.run(
    `SELECT g.gate, g.running, g.window_start, g.window_count, g.paused_until FROM ${ctx.s}.gates g, unnest($1::text[]) AS p(prefix)
     WHERE starts_with(g.gate, p.prefix) AND (g.running > 0 OR g.window_count > 0 OR g.paused_until > 0)`,
    [scopes.map((scope) => `${scope}${KEY_SEPARATOR}`)],
  );
  return new Map(rows.map((r) => [r.gate as string, { running: Number(r.running), windowStart: Number(r.window_start), windowCount: Number(r.window_count), pausedUntil: Number(r.paused_until) }]));
}

/** Gates' states as four arrays (gate, running, window start, window count), for `unnest`. */
export function gateColumns(gates: ReadonlyMap<string, GateState>): [string[], number[], number[], number[]] {
  const states = [...gates.values()];
  return [[...gates.keys()], states.map((s) => s.running), states.map((s) => s.windowStart), states.map((s) => s.windowCount)];
}

/**
 * Locks the key gates of a claim's candidates without waiting: a gate another transaction holds
 * (a claim or a completion of the same key, for the length of its commit) is left out, and its
 * candidates wait for a later claim. A claim then never waits for a gate after the first it locks,
 * so claims and completions cannot wait on each other in a circle.
 */
export async function lockGatesSkipping(ctx: WriteContext, gates: readonly string[]): Promise<Map<string, GateState>> {
  if (gates.length === 0) return new Map();
  const sorted = [...gates].sort();
  // One statement: the gates it inserts are its own (locked until the commit) and come back from
  // the insert; the others are locked by the read, which sees the statement's snapshot and so not
  // the rows just inserted. A gate another transaction inserted after that snapshot is in neither
  // and counts as busy: its candidates wait for a later claim.
  const rows = await ctx.db.run(
    `WITH inserted AS (
       INSERT INTO ${ctx.s}.gates (gate) SELECT unnest($1::text[]) ORDER BY 1 ON CONFLICT (gate) DO NOTHING
       RETURNING gate, running, window_start, window_count, paused_until
     ), locked AS (
       SELECT gate, running, window_start, window_count, paused_until FROM ${ctx.s}.gates WHERE gate = ANY($1::text[]) ORDER BY gate FOR UPDATE SKIP LOCKED
     )
     SELECT * FROM inserted UNION ALL SELECT * FROM locked`,
    [sorted],
  );
  return new Map(rows.map((r) => [r.gate as string, gateStateOf(r)]));
}

/** Writes the new states of gates an admission decided (their rows are locked). */
export async function writeGates(ctx: WriteContext, gates: ReadonlyMap<string, GateState>): Promise<void> {
  if (gates.size === 0) return;
  await ctx.db.run(
    `UPDATE ${ctx.s}.gates g SET running = u.running, window_start = u.window_start, window_count = u.window_count
     FROM unnest($1::text[], $2::int[], $3::bigint[], $4::int[]) AS u(gate, running, window_start, window_count) WHERE g.gate = u.gate`,
    gateColumns(gates),
  );
}

/**
 * Gives back the gates a job took when it started (its change out of processing was just written),
 * waking its queue's servers. A rate-limited job's change (`pause`) pauses the gate core picks
 * among them in the same statement.
 */
export async function releaseGates(ctx: WriteContext, heldGates: readonly string[], queue: string, events: EventBatch, pause: StateChange['pause']): Promise<void> {
  const paused = pause === null ? null : gateToPause(pause.candidates, heldGates);
  // Locked in gate order, as every writer of gates locks them.
  await ctx.db.run(
    `UPDATE ${ctx.s}.gates g SET running = greatest(g.running - 1, 0),
       paused_until = CASE WHEN g.gate = $2::text THEN greatest(g.paused_until, $3::bigint) ELSE g.paused_until END
     FROM (SELECT gate FROM ${ctx.s}.gates WHERE gate = ANY($1::text[]) ORDER BY gate FOR UPDATE) l WHERE g.gate = l.gate`,
    [[...heldGates], paused, pause?.until ?? 0],
  );
  events.enqueued(queue);
}
