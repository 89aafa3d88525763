import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

import { Spool, StorageError, UuidV7Generator, defineJob, systemClock } from '@spool/core';
import type { FetchedJob, Json, NewJob, StorageEvent } from '@spool/core';
import { MIGRATIONS, PostgresStorage } from '@spool/postgres';

import { POSTGRES_URL, dropSchemas, freshSchema, newJob, postgresAvailable, sql } from './helpers.js';

const available = await postgresAvailable();
const schemas: string[] = [];
const opened: PostgresStorage[] = [];
const ids = new UuidV7Generator(systemClock);

afterEach(async () => {
  for (const storage of opened.splice(0)) await storage.close();
  await dropSchemas(schemas.splice(0));
});

function storageOn(schema: string, options: { migrate?: boolean; poolSize?: number } = {}): PostgresStorage {
  const storage = new PostgresStorage({ connectionString: POSTGRES_URL, schema, poolSize: options.poolSize ?? 3, ...options });
  opened.push(storage);
  return storage;
}

function newSchema(): string {
  const schema = freshSchema('spool_pg');
  schemas.push(schema);
  return schema;
}

function job(overrides: Partial<NewJob> = {}): NewJob {
  return newJob(overrides);
}

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Inserts a continuation (and counts it) with plain SQL, as a version before migration 6 does; returns its id. */
async function insertContinuationAsOlderVersion(schema: string, parentId: string): Promise<string> {
  const id = ids.next();
  await sql(
    `INSERT INTO "${schema}".jobs (id, state, queue, name, priority, max_attempts, created_at, updated_at, parent_id, continue_on, parameters, args)
     VALUES ($1, 'awaiting', 'default', 'test.job', 0, 3, 0, 0, $2, 'succeeded', '{}', 'null')`,
    [id, parentId],
  );
  await sql(
    `INSERT INTO "${schema}".counters (key, shard, value) VALUES ('state:awaiting', 0, 1) ON CONFLICT (key, shard) DO UPDATE SET value = counters.value + 1`,
  );
  return id;
}

/** A fresh storage on a schema of its own, with one job created and fetched. */
async function storageWithRunningJob(): Promise<{ schema: string; storage: PostgresStorage; fetched: FetchedJob }> {
  const schema = newSchema();
  const storage = storageOn(schema);
  await storage.init();
  await storage.jobsCreate({ jobs: [job()] });
  const [fetched] = await storage.jobsFetch({ queues: ['default'], names: null, limit: 1, serverId: 's', leaseMs: 30_000 });
  return { schema, storage, fetched: fetched! };
}

/** Records the success of a fetched job; whether its lease still held. */
async function succeed(storage: PostgresStorage, fetched: FetchedJob): Promise<boolean> {
  const { results } = await storage.jobsComplete({
    serverId: 's',
    completions: [{ id: fetched.id, leaseToken: fetched.leaseToken, outcome: { state: 'succeeded', result: null, reason: 'done' } }],
  });
  return results[0]!.ok;
}

/** Terminates every connection of one schema's storages (pool and LISTEN), as an operator or a failover would. */
async function terminateConnections(schema: string): Promise<number> {
  const { rows } = await sql(
    `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name IN ($1, $2)`,
    [`spool:${schema}`, `spool-listen:${schema}`],
  );
  return rows[0].n as number;
}

describe.skipIf(!available)('PostgreSQL storage', () => {
  describe('migrations', () => {
    it('applies every migration once when several servers start at the same time', async () => {
      const schema = newSchema();
      const storages = Array.from({ length: 4 }, () => storageOn(schema, { poolSize: 1 }));
      const results = await Promise.all(storages.map((s) => s.migrate()));
      const applied = results.flatMap((r) => r.applied).sort((a, b) => a - b);
      expect(applied).toEqual(MIGRATIONS.map((m) => m.version));
      const { rows } = await sql(`SELECT version FROM "${schema}".migrations ORDER BY version`);
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      expect((await storages[0]!.migrate()).applied).toEqual([]);
    });

    it('refuses to start on an unmigrated schema when told not to migrate, until migrated', async () => {
      const schema = newSchema();
      const storage = storageOn(schema, { migrate: false });
      const error: unknown = await storage.init().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).message).toContain('spool migrate');
      expect((await storage.migrate()).applied).toEqual(MIGRATIONS.map((m) => m.version));
      await storage.init();
      expect(await storage.jobGet({ id: ids.next() })).toBeNull();
    });

    it('reads the creation entry of a job made before migration 3 from the history table', async () => {
      const schema = newSchema();
      const storage = storageOn(schema);
      await storage.init();
      const [created] = (await storage.jobsCreate({ jobs: [job({ reason: 'Enqueued by an older version' })] })).jobs;
      const id = created!.id;
      // What an older version wrote: no creation columns, the entry in the history table.
      await sql(
        `WITH j AS (UPDATE "${schema}".jobs SET created_state = NULL, created_reason = NULL WHERE id = $1 RETURNING id, created_at)
         INSERT INTO "${schema}".history (job_id, state, reason, at) SELECT id, 'enqueued', 'Enqueued by an older version', created_at FROM j`,
        [id],
      );
      const details = await storage.monitoring.jobDetails({ id });
      expect(details!.history.map((h) => [h.state, h.reason])).toEqual([['enqueued', 'Enqueued by an older version']]);
    });

    it('turns JIT compilation off on the connections it opens', async () => {
      const storage = storageOn(newSchema());
      await storage.init();
      const client = await storage.pool.connect();
      try {
        expect((await client.query('SHOW jit')).rows[0].jit).toBe('off');
      } finally {
        client.release();
      }
    });

    it('keeps its tables in the configured schema', async () => {
      const schema = newSchema();
      await storageOn(schema).init();
      const { rows } = await sql(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [schema]);
      expect(rows.map((r) => r.table_name)).toEqual([
        'audit',
        'batches',
        'counters',
        'dependencies',
        'gates',
        'history',
        'job_history',
        'jobs',
        'limits',
        'logs',
        'metrics',
        'migrations',
        'paused_queues',
        'recurring',
        'recurring_history',
        'servers',
      ]);
    });
  });

  describe('the hot path', () => {
    it('claims through the partial index of runnable jobs, whatever the backlog of other names', async () => {
      const schema = newSchema();
      const storage = storageOn(schema);
      await storage.init();
      await storage.jobsCreate({ jobs: Array.from({ length: 2000 }, () => job({ name: 'nobody.runs.this' })) });
      await storage.jobsCreate({ jobs: [job({ name: 'wanted' })] });
      await sql(`ANALYZE "${schema}".jobs`);
      const { rows } = await sql(
        `EXPLAIN (ANALYZE, FORMAT JSON) SELECT j.id FROM "${schema}".jobs j WHERE j.state = 'enqueued' AND j.queue = 'default' AND j.name = 'wanted'
         ORDER BY j.priority DESC, j.enqueue_seq LIMIT 10`,
      );
      const plan = JSON.stringify(rows[0]['QUERY PLAN']);
      expect(plan).toContain('jobs_runnable');
      // One index range for the wanted name: the 2,000 jobs of the other name are never read.
      expect(plan).not.toMatch(/"Rows Removed by Filter": [1-9]/);
      const fetched = await storage.jobsFetch({ queues: ['default'], names: ['wanted'], limit: 10, serverId: 's', leaseMs: 30_000 });
      expect(fetched.map((j) => j.name)).toEqual(['wanted']);
    });

    it('keeps finished jobs out of the runnable index', async () => {
      const schema = newSchema();
      const storage = storageOn(schema);
      await storage.init();
      await storage.jobsCreate({ jobs: Array.from({ length: 50 }, () => job()) });
      const fetched = await storage.jobsFetch({ queues: ['default'], names: ['test.job'], limit: 50, serverId: 's', leaseMs: 30_000 });
      await storage.jobsComplete({
        serverId: 's',
        completions: fetched.map((j) => ({ id: j.id, leaseToken: j.leaseToken, outcome: { state: 'succeeded', result: null, reason: 'done' } })),
      });
      const { rows } = await sql(`SELECT count(*)::int AS n FROM "${schema}".jobs WHERE state = 'enqueued'`);
      expect(rows[0].n).toBe(0);
      const stats = await storage.monitoring.stats();
      expect(stats.states.succeeded).toBe(50);
      // History is kept for every job, all three entries in the job's row: no history row was written.
      const history = await sql(`SELECT count(*)::int AS n FROM "${schema}".history`);
      expect(history.rows[0].n).toBe(0);
      const inRow = await sql(`SELECT count(*)::int AS n FROM "${schema}".jobs WHERE created_state = 'enqueued' AND tail = 3`);
      expect(inRow.rows[0].n).toBe(50);
      const viewed = await sql(`SELECT state, count(*)::int AS n FROM "${schema}".job_history GROUP BY state ORDER BY state`);
      expect(viewed.rows).toEqual([
        { state: 'enqueued', n: 50 },
        { state: 'processing', n: 50 },
        { state: 'succeeded', n: 50 },
      ]);
      const details = await storage.monitoring.jobDetails({ id: fetched[0]!.id });
      expect(details!.history.map((h) => [h.state, h.reason, h.serverId, h.data])).toEqual([
        ['enqueued', 'test', null, null],
        ['processing', 'Started by server s', 's', { serverId: 's', attempt: 1 }],
        ['succeeded', 'done', 's', null],
      ]);
    });

    it('completes a batch from several claims with their own tokens, results and reasons, refusing a stale lease', async () => {
      const schema = newSchema();
      const storage = storageOn(schema);
      await storage.init();
      await storage.jobsCreate({ jobs: Array.from({ length: 6 }, () => job()) });
      const fetch = (limit: number) => storage.jobsFetch({ queues: ['default'], names: null, limit, serverId: 's', leaseMs: 30_000 });
      const [a, b, c] = await fetch(3);
      const [d, e, stale] = await fetch(3);
      expect(a!.leaseToken).not.toBe(d!.leaseToken);
      // `stale` loses its lease: requeued and fetched again under a new token.
      await storage.jobSetState({ id: stale!.id, expected: ['processing'], state: 'enqueued', reason: 'requeued' });
      const [again] = await fetch(1);
      const success = (j: FetchedJob, result: Json, reason: string) => ({ id: j.id, leaseToken: j.leaseToken, outcome: { state: 'succeeded' as const, result, reason } });
      const { results } = await storage.jobsComplete({
        serverId: 's',
        completions: [success(a!, null, 'ok'), success(b!, { n: 1 }, 'ok'), success(d!, 'x', 'other'), success(e!, null, 'ok'), success(stale!, null, 'ok'), success(c!, [1, 2], 'third')],
      });
      expect(results).toEqual([
        { id: a!.id, ok: true },
        { id: b!.id, ok: true },
        { id: d!.id, ok: true },
        { id: e!.id, ok: true },
        { id: stale!.id, ok: false },
        { id: c!.id, ok: true },
      ]);
      const read = async (id: string) => {
        const details = (await storage.monitoring.jobDetails({ id }))!;
        return [details.job.state, details.job.result, details.history.at(-1)!.reason];
      };
      expect(await read(a!.id)).toEqual(['succeeded', null, 'ok']);
      expect(await read(b!.id)).toEqual(['succeeded', { n: 1 }, 'ok']);
      expect(await read(c!.id)).toEqual(['succeeded', [1, 2], 'third']);
      expect(await read(d!.id)).toEqual(['succeeded', 'x', 'other']);
      expect((await storage.jobGet({ id: again!.id }))!.state).toBe('processing');
      expect((await storage.monitoring.stats()).states).toMatchObject({ succeeded: 5, processing: 1, enqueued: 0 });
    });

    it('releases the continuation of a parent that succeeds in a batch with jobs nobody waits for', async () => {
      const schema = newSchema();
      const storage = storageOn(schema);
      await storage.init();
      await storage.jobsCreate({ jobs: Array.from({ length: 3 }, () => job()) });
      const fetched = await storage.jobsFetch({ queues: ['default'], names: null, limit: 3, serverId: 's', leaseMs: 30_000 });
      const parent = fetched[1]!;
      const child = job({ state: 'awaiting', parentId: parent.id, continueOn: 'succeeded' });
      await storage.jobsCreate({ jobs: [child] });
      const { results } = await storage.jobsComplete({
        serverId: 's',
        completions: fetched.map((j) => ({ id: j.id, leaseToken: j.leaseToken, outcome: { state: 'succeeded' as const, result: null, reason: 'done' } })),
      });
      expect(results.map((r) => r.ok)).toEqual([true, true, true]);
      for (const j of fetched) expect((await storage.jobGet({ id: j.id }))!.state).toBe('succeeded');
      const released = (await storage.monitoring.jobDetails({ id: child.id }))!;
      expect(released.job.state).toBe('enqueued');
      expect(released.history.at(-1)!.reason).toBe(`Parent ${parent.id} succeeded`);
      expect((await storage.monitoring.stats()).states).toMatchObject({ succeeded: 3, enqueued: 1, awaiting: 0, processing: 0 });
    });

    it('releases a continuation that a version before migration 6 created, which marks no parent', async () => {
      const { schema, storage, fetched } = await storageWithRunningJob();
      // An older version inserts the child with its own SQL and leaves the parent unmarked.
      const childId = await insertContinuationAsOlderVersion(schema, fetched.id);
      expect(await succeed(storage, fetched)).toBe(true);
      expect((await storage.jobGet({ id: childId }))!.state).toBe('enqueued');
    });

    it('cancels an unmarked continuation of a version before migration 6 when its parent is deleted', async () => {
      const schema = newSchema();
      const storage = storageOn(schema);
      await storage.init();
      const [parent] = (await storage.jobsCreate({ jobs: [job()] })).jobs;
      const childId = await insertContinuationAsOlderVersion(schema, parent!.id);
      await storage.jobSetState({ id: parent!.id, expected: ['enqueued'], state: 'deleted', reason: 'by an operator' });
      expect((await storage.jobGet({ id: childId }))!.state).toBe('deleted');
    });

    it('releases a continuation whose creation the completion of its parent had to wait for', async () => {
      const { schema, storage, fetched } = await storageWithRunningJob();
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        // A continuation is created in a transaction that is still open: it holds the parent's row.
        await client.query('BEGIN');
        const child = job({ state: 'awaiting', parentId: fetched.id, continueOn: 'succeeded' });
        await storage.jobsCreate({ jobs: [child], transaction: client });
        // The parent's success waits for that transaction, which then commits.
        const completing = storage.jobsComplete({
          serverId: 's',
          completions: [{ id: fetched.id, leaseToken: fetched.leaseToken, outcome: { state: 'succeeded', result: null, reason: 'done' } }],
        });
        await until(async () => {
          const { rows } = await sql(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = $1`, [`spool:${schema}`]);
          return rows[0].n > 0;
        }, 'the completion to wait for the lock');
        await client.query('COMMIT');
        expect((await completing).results).toEqual([{ id: fetched.id, ok: true }]);
        // The completion saw the committed continuation and released it.
        expect((await storage.jobGet({ id: child.id }))!.state).toBe('enqueued');
      } finally {
        await client.end();
      }
    });

    it('sends one notification per commit, however many jobs it enqueues', async () => {
      const schema = newSchema();
      const storage = storageOn(schema);
      await storage.init();
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      const payloads: string[] = [];
      client.on('notification', (n) => payloads.push(n.payload ?? ''));
      await client.query(`LISTEN "spool:${schema}"`);
      try {
        await storage.jobsCreate({ jobs: Array.from({ length: 500 }, (_, i) => job({ queue: i % 2 === 0 ? 'a' : 'b' })) });
        await until(() => payloads.length > 0, 'the notification');
        await storage.jobsCreate({ jobs: [job({ queue: 'marker' })] });
        await until(() => payloads.length > 1, 'the marker notification');
        expect(payloads).toHaveLength(2);
        expect(JSON.parse(payloads[0]!).q.sort()).toEqual(['a', 'b']);
      } finally {
        await client.end();
      }
    });
  });

  describe("history entries held in the job's row", () => {
    const fetchOne = async (storage: PostgresStorage, serverId = 's'): Promise<FetchedJob> => {
      const [fetched] = await storage.jobsFetch({ queues: ['default'], names: null, limit: 1, serverId, leaseMs: 30_000 });
      return fetched!;
    };
    const states = async (storage: PostgresStorage, id: string): Promise<Array<[string, string]>> =>
      (await storage.monitoring.jobDetails({ id }))!.history.map((h) => [h.state, h.reason]);
    /** A new schema with one job, claimed by `serverId`. */
    const claimedOnce = async (serverId: string): Promise<{ schema: string; storage: PostgresStorage; id: string; fetched: FetchedJob }> => {
      const schema = newSchema();
      const storage = storageOn(schema);
      await storage.init();
      const [created] = (await storage.jobsCreate({ jobs: [job()] })).jobs;
      return { schema, storage, id: created!.id, fetched: await fetchOne(storage, serverId) };
    };
    /** A new schema with one job that server s1 ran once with success ('first run'). */
    const ranOnce = async (): Promise<{ schema: string; storage: PostgresStorage; id: string }> => {
      const { schema, storage, id, fetched } = await claimedOnce('s1');
      await storage.jobsComplete({ serverId: 's1', completions: [{ id, leaseToken: fetched.leaseToken, outcome: { state: 'succeeded', result: 1, reason: 'first run' } }] });
      return { schema, storage, id };
    };

    it('keeps every entry in order when a job moves on after running in the row', async () => {
      // Runs once and succeeds: both entries stay in the row.
      const { schema, storage, id } = await ranOnce();
      // An operator requeues it: the row's entries go to the history table before the requeue's entry.
      expect((await storage.jobSetState({ id, expected: ['succeeded'], state: 'enqueued', reason: 'requeued', resetAttempts: true })).ok).toBe(true);
      // It fails and is retried (a transition, not the hot path), then runs again and succeeds.
      let fetched = await fetchOne(storage, 's2');
      const error = { name: 'Error', message: 'boom' };
      await storage.jobsComplete({
        serverId: 's2',
        completions: [{ id, leaseToken: fetched.leaseToken, outcome: { state: 'scheduled', runAt: new Date(0), error, reason: 'retry' } }],
      });
      await storage.scheduledPromoteDue({ limit: 10 });
      fetched = await fetchOne(storage, 's3');
      await storage.jobsComplete({ serverId: 's3', completions: [{ id, leaseToken: fetched.leaseToken, outcome: { state: 'succeeded', result: 2, reason: 'second run' } }] });

      expect(await states(storage, id)).toEqual([
        ['enqueued', 'test'],
        ['processing', 'Started by server s1'],
        ['succeeded', 'first run'],
        ['enqueued', 'requeued'],
        ['processing', 'Started by server s2'],
        ['scheduled', 'retry'],
        ['enqueued', 'Due time reached'],
        ['processing', 'Started by server s3'],
        ['succeeded', 'second run'],
      ]);
      const details = (await storage.monitoring.jobDetails({ id }))!;
      expect(details.history.filter((h) => h.state === 'processing').map((h) => h.data)).toEqual([
        { serverId: 's1', attempt: 1 },
        { serverId: 's2', attempt: 1 },
        { serverId: 's3', attempt: 2 },
      ]);
      // Only the last attempt's two entries are still in the row.
      const { rows } = await sql(`SELECT tail FROM "${schema}".jobs WHERE id = $1`, [id]);
      expect(rows[0].tail).toBe(3);
    });

    it('records the reporting server of a success when another server reports it', async () => {
      const { storage, id, fetched } = await claimedOnce('runner');
      await storage.jobsComplete({
        serverId: 'reporter',
        completions: [{ id, leaseToken: fetched.leaseToken, outcome: { state: 'succeeded', result: null, reason: 'done' } }],
      });
      const details = (await storage.monitoring.jobDetails({ id }))!;
      expect(details.history.map((h) => [h.state, h.serverId])).toEqual([
        ['enqueued', null],
        ['processing', 'runner'],
        ['succeeded', 'reporter'],
      ]);
    });

    it('completes a job claimed before migration 4, whose start is a history row', async () => {
      const { schema, storage, id, fetched } = await claimedOnce('old');
      // What the older version's claim left: the start as a history row, nothing held in the row.
      await sql(
        `WITH j AS (UPDATE "${schema}".jobs SET tail = 0 WHERE id = $1 RETURNING id, started_at)
         INSERT INTO "${schema}".history (job_id, state, reason, at, server_id) SELECT id, 'processing', 'Started by server old', started_at, 'old' FROM j`,
        [id],
      );
      await storage.jobsComplete({ serverId: 'old', completions: [{ id: id, leaseToken: fetched.leaseToken, outcome: { state: 'succeeded', result: null, reason: 'done' } }] });
      expect(await states(storage, id)).toEqual([
        ['enqueued', 'test'],
        ['processing', 'Started by server old'],
        ['succeeded', 'done'],
      ]);
    });

    it('spills entries a version before migration 4 left in the row of an enqueued job before claiming it', async () => {
      const { schema, storage, id } = await ranOnce();
      // What an older version's requeue does: it changes the state and appends its entry, but leaves `tail` alone.
      await sql(
        `WITH j AS (UPDATE "${schema}".jobs SET state = 'enqueued', enqueue_seq = nextval('"${schema}".enqueue_seq') WHERE id = $1 RETURNING id)
         INSERT INTO "${schema}".history (job_id, state, reason, at) SELECT id, 'enqueued', 'requeued by an older version', 0 FROM j`,
        [id],
      );
      const fetched = await fetchOne(storage, 's2');
      expect(fetched.id).toBe(id);
      // Nothing is lost: the first run's entries are kept (after the older version's entry, which it wrote first).
      expect(await states(storage, id)).toEqual([
        ['enqueued', 'test'],
        ['enqueued', 'requeued by an older version'],
        ['processing', 'Started by server s1'],
        ['succeeded', 'first run'],
        ['processing', 'Started by server s2'],
      ]);
    });
  });

  describe('faults', () => {
    it('fails an enqueue fast with a retryable StorageError while the database is unreachable', async () => {
      // A port where nothing listens stands in for a database that is down.
      const storage = new PostgresStorage({ connectionString: 'postgres://postgres@127.0.0.1:9/test', schema: 'spool', connectTimeout: '2s' });
      opened.push(storage);
      const error: unknown = await storage.jobsCreate({ jobs: [job()] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ code: 'ERR_STORAGE', retryable: true });
    });

    it('reconnects by itself after every connection, LISTEN included, is terminated', async () => {
      const schema = newSchema();
      const storage = storageOn(schema);
      await storage.init();
      const events: StorageEvent[] = [];
      storage.subscribe((e) => events.push(e));
      await until(() => storage.listenConnections === 1, 'LISTEN to start');
      const other = storageOn(schema);
      await other.jobsCreate({ jobs: [job({ queue: 'before' })] });
      await until(() => events.some((e) => e.type === 'jobs-enqueued' && e.queues.includes('before')), 'an event before the cut');

      expect(await terminateConnections(schema)).toBeGreaterThanOrEqual(2);

      // Calls may fail once each on a connection that died in the pool; none hangs, and they recover.
      await until(async () => (await storage.jobsCreate({ jobs: [job({ queue: 'after' })] }).then(() => true).catch(() => false)), 'enqueue to work again');
      await until(() => storage.listenConnections >= 2, 'LISTEN to come back');
      await until(
        async () => {
          await other.jobsCreate({ jobs: [job({ queue: 'later' })] }).catch(() => undefined);
          return events.some((e) => e.type === 'jobs-enqueued' && e.queues.includes('later'));
        },
        'an event from another storage after the cut',
      );
      const stats = await storage.monitoring.stats();
      expect(stats.states.enqueued).toBeGreaterThanOrEqual(3);
    });

    it('keeps a running server working through terminated connections without losing a job', async () => {
      const schema = newSchema();
      const seen = new Map<number, number>();
      const count = defineJob('fault.count', (args: { n: number }) => {
        seen.set(args.n, (seen.get(args.n) ?? 0) + 1);
      });
      const spool = new Spool({ storage: storageOn(schema), jobs: [count] });
      await spool.init();
      const server = await spool.startServer({ concurrency: 10, handleSignals: false, pollInterval: '200ms', leaseTime: '3s', leaseRenewInterval: '1s', rescueInterval: '500ms' });
      server.events.on('error', () => undefined);
      const total = 3000;
      for (let i = 0; i < total; i += 500) await spool.enqueueMany(count, Array.from({ length: 500 }, (_, k) => ({ n: i + k })));
      await until(() => seen.size > 200, 'the first jobs to run');
      await terminateConnections(schema);
      await until(() => seen.size === total, 'every job to run', 40_000);
      await until(async () => (await spool.stats()).states.succeeded === total, 'every job to succeed', 40_000);
      await server.stop();
      const stats = await spool.stats();
      expect(stats.states).toMatchObject({ succeeded: total, enqueued: 0, processing: 0, failed: 0 });
    });
  });
});
