import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

import type { FetchedJob, NewJob } from '@spool/core';
import { PostgresStorage } from '@spool/postgres';

import { POSTGRES_URL, dropSchemas, freshSchema, newJob, postgresAvailable, sql } from './helpers.js';

// The hot statements must reach the jobs table the same way whatever the planner believes about it:
// each one is planned under several states of the table's statistics, as a custom plan (what
// EXPLAIN shows for bound values) and as the generic plan a prepared statement may switch to, and
// its plan's shape is checked. Shape, never time: the figures belong to the benchmarks.

const available = await postgresAvailable();
const schemas: string[] = [];
const BACKLOG = 20_000;

afterAll(async () => {
  await dropSchemas(schemas);
});

interface Statement {
  text: string;
  values: unknown[];
}

/** A pool that records every statement the storage sends through it. */
function recordingPool(statements: Statement[]): pg.Pool {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2, options: '-c jit=off' });
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (config: unknown, ...rest: unknown[]) => {
      if (typeof config === 'object' && config !== null && 'text' in config) {
        const { text, values } = config as { text: string; values?: unknown[] };
        statements.push({ text, values: values ?? [] });
      }
      return query(config, ...rest);
    };
  });
  return pool;
}

function job(): NewJob {
  return newJob({ name: 'plans.job' });
}

async function enqueueBacklog(storage: PostgresStorage): Promise<void> {
  for (let i = 0; i < BACKLOG; i += 2_000) await storage.jobsCreate({ jobs: Array.from({ length: 2_000 }, job) });
}

/** One million succeeded jobs, written in one statement (the storage would take minutes). */
async function fillHistory(schema: string): Promise<void> {
  await sql(
    `INSERT INTO "${schema}".jobs (id, state, queue, name, priority, enqueue_seq, attempt, max_attempts, lease_token, server_id,
       created_at, updated_at, started_at, finished_at, expires_at, retention_ms, parameters, args, tail, tail_reason)
     SELECT '00000000-' || lpad(g::text, 12, '0'), 'succeeded', 'default', 'plans.job', 0, 0, 1, 3, 'old-token', 'old-server',
       0, 0, 0, 0, 86400000, 86400000, '{}', 'null', 3, 'done'
     FROM generate_series(1, 1000000) AS g`,
  );
}

const succeed = (jobs: readonly FetchedJob[]) => jobs.map((j) => ({ id: j.id, leaseToken: j.leaseToken, outcome: { state: 'succeeded' as const, result: null, reason: 'ok' } }));

/**
 * Runs the hot path once on a storage (claims with and without names, a lease extension, a batch of
 * successes, a batch with a failure and a retry) and returns the statements it sent, by role.
 */
async function hotStatements(storage: PostgresStorage, statements: Statement[]): Promise<Map<string, Statement>> {
  statements.length = 0;
  const fetch = { queues: ['default'], limit: 500, serverId: 'plans-server', leaseMs: 30_000 };
  const named = await storage.jobsFetch({ ...fetch, names: ['plans.job'] });
  const unnamed = await storage.jobsFetch({ ...fetch, names: null, limit: 20 });
  const running = [...named, ...unnamed];
  await storage.jobLeaseExtend({ leases: running.map((j) => ({ id: j.id, leaseToken: j.leaseToken })), leaseMs: 30_000 });
  await storage.jobsComplete({ serverId: 'plans-server', completions: succeed(running.slice(0, 400)) });
  const [failed, retried] = running.slice(400, 402);
  const error = { name: 'Error', message: 'boom' };
  await storage.jobsComplete({
    serverId: 'plans-server',
    completions: [
      { id: failed!.id, leaseToken: failed!.leaseToken, outcome: { state: 'failed', error, reason: 'Failed' } },
      { id: retried!.id, leaseToken: retried!.leaseToken, outcome: { state: 'scheduled', runAt: new Date(Date.now() + 60_000), error, reason: 'Retry' } },
    ],
  });
  const roles: Array<[string, RegExp]> = [
    ['claim with names', /AS n\(name\) CROSS JOIN LATERAL/],
    ['claim without names', /WITH RECURSIVE|\$3::text\[\] IS NULL/],
    ['lease extension', /SET lease_expires_at = /],
    ['batch of successes', /jsonb AS batch/],
    ['transition', /^WITH o AS/],
  ];
  const found = new Map<string, Statement>();
  for (const [role, pattern] of roles) {
    const statement = statements.find((s) => pattern.test(s.text) && (role !== 'claim with names' || !/WITH RECURSIVE/.test(s.text)));
    expect(statement, `the storage sent no ${role} statement`).toBeDefined();
    found.set(role, statement!);
  }
  return found;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Join Filter'?: string;
  Plans?: PlanNode[];
}

/**
 * How a plan reaches the jobs table: `Seq Scan`, `Tid Scan`, or the indexes it reads, marked
 * `(every entry)` when it reads one without a condition; and any join that matches jobs by
 * comparing ids row by row.
 */
function accessesToJobs(node: PlanNode, into: string[] = []): string[] {
  // An update's own node names the table it writes, a bitmap heap scan the table its index child reads.
  const reads = node['Node Type'] !== 'ModifyTable' && node['Node Type'] !== 'Bitmap Heap Scan';
  const index = node['Index Name'];
  if (index?.startsWith('jobs_')) into.push(node['Index Cond'] === undefined ? `${index} (every entry)` : index);
  else if (node['Relation Name'] === 'jobs' && reads) into.push(index ?? node['Node Type']);
  // A join that compares ids row by row compares every job with every record: quadratic in the batch.
  if (/\bid = /.test(node['Join Filter'] ?? '')) into.push(`${node['Node Type']} comparing ids (${node['Join Filter']})`);
  for (const child of node.Plans ?? []) accessesToJobs(child, into);
  return into;
}

/** A value as an SQL literal, for EXECUTE. */
function literal(client: pg.Client, value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return client.escapeLiteral(`{${value.map((v) => `"${String(v).replace(/["\\]/g, '\\$&')}"`).join(',')}}`);
  return client.escapeLiteral(String(value));
}

/** The custom and the generic plan of a statement, as the ways each reaches the jobs table. */
async function plansOf(statement: Statement): Promise<{ custom: string[]; generic: string[] }> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, options: '-c jit=off' });
  await client.connect();
  try {
    const custom = await client.query(`EXPLAIN (FORMAT JSON) ${statement.text}`, statement.values);
    await client.query(`SET plan_cache_mode = force_generic_plan`);
    await client.query(`PREPARE hot AS ${statement.text}`);
    const args = statement.values.map((v) => literal(client, v)).join(', ');
    const generic = await client.query(`EXPLAIN (FORMAT JSON) EXECUTE hot(${args})`);
    const root = (result: pg.QueryResult) => (result.rows[0]['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0]!.Plan;
    return { custom: accessesToJobs(root(custom)), generic: accessesToJobs(root(generic)) };
  } finally {
    await client.end();
  }
}

/** What each statement may read of the jobs table, and what it must read. */
const EXPECTED: Record<string, { allowed: string[]; required: string[] }> = {
  'claim with names': { allowed: ['jobs_runnable', 'jobs_pkey', 'Tid Scan'], required: ['jobs_runnable', 'Tid Scan'] },
  // jobs_keyed (migration 13) holds the same enqueued jobs by queue and name first: the planner may
  // walk the names through either.
  'claim without names': { allowed: ['jobs_runnable', 'jobs_keyed', 'jobs_pkey', 'Tid Scan'], required: ['jobs_runnable', 'Tid Scan'] },
  'lease extension': { allowed: ['jobs_pkey'], required: ['jobs_pkey'] },
  'batch of successes': { allowed: ['jobs_pkey', 'jobs_parent'], required: ['jobs_pkey'] },
  transition: { allowed: ['jobs_pkey', 'jobs_parent'], required: ['jobs_pkey'] },
};

/** The states of the statistics a production table can be in when the hot path runs. */
const CONDITIONS: Array<{ name: string; prepare: (storage: PostgresStorage, schema: string) => Promise<void> }> = [
  {
    name: 'analysed after the backlog was enqueued (nothing processing in the statistics)',
    prepare: async (storage, schema) => {
      await enqueueBacklog(storage);
      await sql(`ANALYZE "${schema}".jobs`);
    },
  },
  {
    name: 'analysed while empty, then filled (stale statistics)',
    prepare: async (storage, schema) => {
      await sql(`ANALYZE "${schema}".jobs`);
      await enqueueBacklog(storage);
    },
  },
  {
    name: 'never analysed (autovacuum off)',
    prepare: async (storage, schema) => {
      await sql(`ALTER TABLE "${schema}".jobs SET (autovacuum_enabled = false)`);
      await enqueueBacklog(storage);
    },
  },
  {
    name: 'vacuumed and analysed during a run, as autovacuum does (running and succeeded jobs in the statistics)',
    prepare: async (storage, schema) => {
      await enqueueBacklog(storage);
      const fetch = { queues: ['default'], names: ['plans.job'], limit: 500, serverId: 'plans-server', leaseMs: 30_000 };
      await storage.jobsComplete({ serverId: 'plans-server', completions: succeed(await storage.jobsFetch(fetch)) });
      await storage.jobsFetch(fetch);
      await sql(`VACUUM ANALYZE "${schema}".jobs`);
    },
  },
  {
    name: 'holding 1,000,000 succeeded jobs, analysed',
    prepare: async (storage, schema) => {
      await fillHistory(schema);
      await enqueueBacklog(storage);
      await sql(`ANALYZE "${schema}".jobs`);
    },
  },
];

if (available) {
  describe('plans of the hot statements', () => {
    for (const condition of CONDITIONS) {
      it(`reach jobs by key, never by a state index walk or a table scan, when the table was ${condition.name}`, { timeout: 120_000 }, async () => {
        const schema = freshSchema('spool_plans');
        schemas.push(schema);
        const statements: Statement[] = [];
        const storage = new PostgresStorage({ pool: recordingPool(statements), schema });
        try {
          await storage.init();
          await condition.prepare(storage, schema);
          const hot = await hotStatements(storage, statements);
          // Every wrong plan at once, so that a failure shows the whole picture.
          const wrong: string[] = [];
          for (const [role, statement] of hot) {
            const plans = await plansOf(statement);
            const { allowed, required } = EXPECTED[role]!;
            for (const [kind, accesses] of Object.entries(plans)) {
              const ok = accesses.every((a) => allowed.includes(a)) && required.every((r) => accesses.includes(r));
              if (!ok) wrong.push(`${role} (${kind} plan) reads jobs through ${accesses.join(', ')}`);
            }
          }
          expect(wrong).toEqual([]);
        } finally {
          await storage.close();
          await storage.pool.end();
        }
      });
    }
  });
} else {
  describe('plans of the hot statements', () => {
    it.skip('needs PostgreSQL (see the warning above)', () => undefined);
  });
}
