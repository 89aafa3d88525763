import { randomUUID } from 'node:crypto';

import pg from 'pg';
import type { Pool, PoolClient } from 'pg';

import type {
  DeadLetterGroup,
  DeadLettersGroupsParams,
  DeadLettersListParams,
  DeadLettersListResult,
  DeadLettersRedriveParams,
  DeadLettersRedriveResult,
  NewJob,
  GateReading,
  LimitRecord,
  LimitsSetParams,
  AuditAppendParams,
  AuditEntry,
  AuditListParams,
  MetricsCount,
  MetricsExpireParams,
  MetricsReadParams,
  MetricsRecordParams,
  Clock,
  FetchedJob,
  JobClaimParams,
  JobLeaseExtendParams,
  JobLeaseExtendResult,
  JobRecord,
  JobChangeParams,
  JobChangeResult,
  JobSetStateParams,
  JobSetStateResult,
  JobsCompleteParams,
  JobsCompleteResult,
  JobsCreateParams,
  JobsCreateResult,
  JobsFetchParams,
  Json,
  MonitoringApi,
  NewLogRecord,
  RecurringDueResult,
  RecurringFireParams,
  RecurringFireResult,
  RecurringHistoryRecord,
  RecurringRecord,
  RecurringUpsert,
  ServerRecord,
  Storage,
  StorageCapabilities,
  StorageEvent,
  FlowStorage,
} from '@spool/core';
import { ConfigError, StorageClosedError } from '@spool/core';
import type { LimitsInForce, QueueBounds } from '@spool/core/storage-kit';
import { StartOnce, claimMayMeetLimits, handoverScopes, storableCompletions, storableLogs, storableNewJobs, storableJobChange, storableParameter, storableRedrive, storableStateChange } from '@spool/core/storage-kit';

import { EventBatch } from './event-batch.js';
import type { Executor } from './executor.js';
import { externalExecutor, pgExecutor } from './executor.js';
import { JOB_SELECT, decodeJob } from './job-row.js';
import { deadLetterGroups, listDeadLetters, redriveDeadLetters } from './dead-letters.js';
import { appendLogs, changeJob, setExpiration, setJobState, setParameter } from './job-updates.js';
import { answers, completeJobs, extendLeases, setProgress, succeedJobs } from './jobs-complete.js';
import type { SuccessHandover } from './jobs-complete.js';
import { createJobs } from './jobs-create.js';
import { claimFromQueue, claimJob, fetchesNothing } from './jobs-fetch.js';
import { claimGated } from './jobs-fetch-gated.js';
import { listLimits, readGates, readLimitsInForce, setLimits } from './limits-store.js';
import { expireMetrics, readMetrics, recordMetrics } from './metrics-store.js';
import { appendAudit, listAudit } from './audit-store.js';
import { expireJobs, promoteDueJobs, rescueExpiredLeases } from './jobs-maintenance.js';
import { applyMigrations, quoteIdent, requireCurrentSchema } from './migrator.js';
import { NotificationListener } from './notification-listener.js';
import { PostgresMonitoring } from './postgres-monitoring.js';
import { PostgresFlows } from './flows-store.js';
import type { PostgresStorageOptions, ResolvedPostgresStorageOptions } from './postgres-options.js';
import { resolvePostgresOptions } from './postgres-options.js';
import { dueRecurring, fireRecurring, getRecurring, listRecurring, pauseRecurring, recurringHistory, removeRecurring, upsertRecurring } from './recurring-store.js';
import { heartbeat, removeDeadServers, setQueuePaused } from './server-store.js';
import { isConflict, isRetryable, translateError } from './translate-error.js';
import { COUNTER_SHARDS, WriteContext } from './write-context.js';

/** Test-only hooks of the PostgreSQL storage. */
export interface PostgresStorageRuntime {
  /** The storage clock. Default: the database's clock (`now()`), the same for every server. */
  clock?: Clock;
}

function ignoreError(): void {}

/** How often a transaction that lost a deadlock or serialization conflict runs again before failing. */
const CONFLICT_RETRIES = 5;

/** How long the limits a storage knows of choose the claim's path before they are read again (a cache, not the storage's clock). */
const LIMITS_REFRESH_MS = 2_000;

/**
 * Spool's distributed storage: one PostgreSQL database shared by any number of Spool servers on any
 * number of machines. Claims take a batch with `FOR UPDATE SKIP LOCKED` and persist the lease in the
 * same statement; wake-ups travel by LISTEN/NOTIFY (polling stays the correctness path); `enqueue`
 * can join the caller's transaction (node-postgres client or postgres.js `sql`).
 */
export class PostgresStorage implements Storage {
  readonly kind = 'postgres';
  readonly capabilities: StorageCapabilities = Object.freeze({
    multiProcess: true,
    notifications: 'distributed',
    externalTransactions: true,
    durable: true,
    flowControl: true,
    waitingChanges: true,
    replaceDuplicates: true,
    deadLetters: true,
    batches: true,
    handover: true,
  });
  readonly monitoring: MonitoringApi;
  /** Batches and flows (decision 46). */
  readonly flows: FlowStorage;
  /** The options after defaults (`connectTimeout` in milliseconds). */
  readonly options: ResolvedPostgresStorageOptions;
  /** The pool the storage runs its statements on. */
  readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly clock: Clock | null;
  /** The quoted schema name. */
  private readonly s: string;
  private readonly channel: string;
  /** This storage's id in NOTIFY payloads: its own notifications are not emitted twice. */
  private readonly sender = randomUUID();
  private readonly listeners = new Set<(event: StorageEvent) => void>();
  private readonly listener: NotificationListener;
  /** Applies migrations (or checks the schema is current) once, before the first statement; a failure is tried again. */
  private readonly readying = new StartOnce(() => this.prepareSchema());
  private closed = false;
  private knownLimits: LimitsInForce = new Map();
  private knownBounds: QueueBounds = new Map();
  private limitsKnownAt = Number.NEGATIVE_INFINITY;

  constructor(options: PostgresStorageOptions, runtime: PostgresStorageRuntime = {}) {
    this.options = resolvePostgresOptions(options);
    this.clock = runtime.clock ?? null;
    this.s = quoteIdent(this.options.schema);
    this.channel = `spool:${this.options.schema}`;
    if (this.options.pool !== undefined) {
      this.pool = this.options.pool;
      this.ownsPool = false;
    } else {
      this.pool = new pg.Pool({
        connectionString: this.options.connectionString,
        max: this.options.poolSize,
        connectionTimeoutMillis: this.options.connectTimeout,
        keepAlive: true,
        // Names Spool's connections in pg_stat_activity (for operators, and for tests that cut them).
        application_name: `spool:${this.options.schema}`.slice(0, 63),
        // Spool's statements are short; JIT compilation never pays for itself on them, and the
        // planner asks for it on cost estimates alone (a queue's oldest-job lookup took 15-45 ms to
        // compile and 1 ms to run).
        options: '-c jit=off',
      });
      this.ownsPool = true;
      // A server that shuts down sends every connection a fatal notice, which the driver reports as an
      // 'error' event when no query is running on it. The pool listens on idle connections and a query
      // receives errors while it runs, but a connection can be between the two at that moment (a
      // multi-process restart test caught one, once in a few runs) and an unheard 'error' event ends
      // the process. A listener on each of our connections closes that gap; the error still reaches
      // the query, the transaction or the pool that holds the connection.
      this.pool.on('connect', (client) => client.on('error', () => undefined));
    }
    // An idle pooled connection that breaks (database restarted) is dropped by the pool; without a
    // listener its error would crash the process.
    this.pool.on('error', () => undefined);
    const source =
      this.options.connectionString !== undefined
        ? {
            config: {
              connectionString: this.options.connectionString,
              connectionTimeoutMillis: this.options.connectTimeout,
              keepAlive: true,
              application_name: `spool-listen:${this.options.schema}`.slice(0, 63),
            },
          }
        : { pool: this.pool };
    this.listener = new NotificationListener(source, this.channel, this.sender, (events) => this.emit(events));
    this.monitoring = new PostgresMonitoring((doing, work) => this.read(doing, work), this.s);
    this.flows = new PostgresFlows({ s: this.s, write: (doing, work) => this.write(doing, work), read: (doing, work) => this.read(doing, work) });
  }

  async init(): Promise<void> {
    await this.whenReady();
  }

  async migrate(): Promise<{ applied: number[] }> {
    this.guard();
    try {
      return { applied: await applyMigrations(this.pool, this.options.schema, this.clock?.now() ?? null, this.options.migrationLockTimeout) };
    } catch (error) {
      throw translateError(error, 'applying migrations');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await this.listener.stop();
    await this.readying.current?.catch(() => undefined);
    if (this.ownsPool) await this.pool.end().catch(() => undefined);
  }

  async now(): Promise<number> {
    this.guard();
    if (this.clock !== null) return this.clock.now();
    const rows = await this.read('reading the time', (db) => db.run('SELECT (extract(epoch from now()) * 1000)::bigint AS now'));
    return Number(rows[0]!.now);
  }

  subscribe(listener: (event: StorageEvent) => void): () => void {
    this.listeners.add(listener);
    if (!this.closed) void this.listener.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) void this.listener.stop();
    };
  }

  /** How many times the LISTEN connection was established (1 until it drops and comes back). */
  get listenConnections(): number {
    return this.listener.connections;
  }

  async jobsCreate(params: JobsCreateParams): Promise<JobsCreateResult> {
    this.guard();
    if (params.jobs.length === 0) return { jobs: [] };
    params = { ...params, jobs: storableNewJobs(params.jobs) };
    const bounded = await this.mayBeBounded(params.jobs);
    if (params.transaction !== undefined && params.transaction !== null) return this.createInTransaction(params, bounded);
    if (bounded || params.jobs.some((j) => j.parentId !== null || j.onDuplicate === 'replace')) {
      return { jobs: await this.write('creating jobs', (ctx) => createJobs(ctx, params.jobs, false, bounded)) };
    }
    // No parents to lock: one statement, committed on its own, with its NOTIFY.
    await this.whenReady();
    const ctx = new WriteContext(this.poolExecutor, this.s, this.clock?.now() ?? null, this.channel, this.sender);
    let jobs: JobsCreateResult['jobs'];
    try {
      jobs = await createJobs(ctx, params.jobs, true);
    } catch (error) {
      throw translateError(error, 'creating jobs');
    }
    this.emit(ctx.events.list);
    return { jobs };
  }

  async jobsFetch(params: JobsFetchParams): Promise<FetchedJob[]> {
    this.guard();
    if (fetchesNothing(params)) return [];
    const claim = { names: params.names, serverId: params.serverId, leaseMs: params.leaseMs };
    const limits = await this.limitsKnown();
    const gated = params.queues.some((queue) => claimMayMeetLimits(limits, queue, params.names));
    if (params.queues.length === 1 && !gated) {
      await this.whenReady();
      try {
        const shard = Math.floor(Math.random() * COUNTER_SHARDS);
        return await claimFromQueue(this.poolExecutor, this.s, { ...claim, queue: params.queues[0]!, limit: params.limit, now: this.clock?.now() ?? null, shard });
      } catch (error) {
        throw translateError(error, 'fetching jobs');
      }
    }
    return this.write('fetching jobs', async (ctx) => {
      // The limits this storage knows of (at most LIMITS_REFRESH_MS old): what the gates hold is read
      // locked in this transaction, so a limit is never exceeded; a limit changed elsewhere applies
      // within that time.
      const inForce = limits;
      const fetched: FetchedJob[] = [];
      let gatedLeft = params.gatedLimit ?? params.limit;
      for (const queue of params.queues) {
        const limit = params.limit - fetched.length;
        if (limit <= 0) break;
        if (claimMayMeetLimits(inForce, queue, params.names)) {
          if (gatedLeft > 0 && !(await queuePaused(ctx, queue))) {
            const gated = await claimGated(ctx, { ...claim, queue, wanted: Math.min(limit, gatedLeft), limits: inForce });
            gatedLeft -= gated.length;
            fetched.push(...gated);
          }
          continue;
        }
        fetched.push(...(await claimFromQueue(ctx.db, this.s, { ...claim, queue, limit, now: ctx.now, shard: ctx.shard })));
      }
      return fetched;
    });
  }

  /**
   * The limits this storage knows of, read again at most every LIMITS_REFRESH_MS (and after its own
   * limitsSet). They only choose the claim's path: the claim without limits refuses every job that
   * has some, so limits set elsewhere take effect within that time and are never exceeded meanwhile.
   */
  /**
   * Whether a queue of these jobs may be bounded, by the bounds this storage knows of (read with
   * the limits, at most LIMITS_REFRESH_MS old): only then does a create take the queue's lock and
   * read its count, so jobs of unbounded queues are created as before. A bound set in another
   * process applies to creates from here within that time.
   */
  private async mayBeBounded(jobs: readonly NewJob[]): Promise<boolean> {
    await this.limitsKnown();
    return this.knownBounds.size > 0 && jobs.some((job) => this.knownBounds.has(job.queue));
  }

  private async limitsKnown(): Promise<LimitsInForce> {
    const now = performance.now();
    if (now - this.limitsKnownAt >= LIMITS_REFRESH_MS) {
      this.limitsKnownAt = now;
      ({ limits: this.knownLimits, bounds: this.knownBounds } = await this.read('reading limits', (db) => readLimitsInForce(db, this.s)));
    }
    return this.knownLimits;
  }

  async jobsComplete(params: JobsCompleteParams): Promise<JobsCompleteResult> {
    this.guard();
    if (params.completions.length === 0) return { results: [] };
    // PostgreSQL refuses NUL in text and jsonb: the values are brought to what every storage keeps.
    params = { ...params, completions: storableCompletions(params.completions) };
    if (this.options.generalWritesOnly || params.completions.some((c) => c.outcome.state !== 'succeeded')) {
      // Other outcomes in the batch (rare: retries, failures): all of it in one transaction, so a
      // failed write leaves none of it behind for the server's retry to find.
      return this.write('completing jobs', (ctx) => completeJobs(ctx, params, !this.options.generalWritesOnly));
    }
    // Only successes, the hot path: one statement of its own. The jobs it skips (lease gone, or a
    // continuation waits) are decided in a transaction after it; should that one fail, the server
    // sends the batch again, and the jobs the statement finished answer as done (decision 8).
    const handover = await this.handoverOf(params);
    const batch = { successes: params.completions, serverId: params.serverId, now: this.clock?.now() ?? null, shard: Math.floor(Math.random() * COUNTER_SHARDS), ...(handover ? { handover } : {}) };
    const events = new EventBatch();
    const skipped = await this.statement('completing jobs', (db) => succeedJobs(db, this.s, batch, events));
    this.emit(events.list);
    const rest = params.completions.filter((c) => skipped.has(c.id));
    // Members of batches among them are recorded by one statement again, in the transaction that settles their batches.
    const decided = rest.length === 0 ? [] : (await this.write('completing jobs', (ctx) => completeJobs(ctx, { completions: rest, serverId: params.serverId }))).results;
    return { ...answers(params.completions, decided), ...(handover ? { handedOver: handover.jobs } : {}) };
  }

  /**
   * The hand-over a completion may make (decision 53): where core's handoverScopes allows it for
   * the limits this storage knows of, else none, and the write is the plain one.
   */
  private async handoverOf(params: JobsCompleteParams): Promise<SuccessHandover | undefined> {
    const asked = params.handover;
    if (asked === undefined || asked.limit <= 0) return undefined;
    const scopes = handoverScopes(await this.limitsKnown(), asked.queues, asked.names);
    return scopes === null ? undefined : { scopes, names: asked.names, limit: asked.limit, leaseMs: asked.leaseMs, jobs: [] };
  }

  async jobClaim(params: JobClaimParams): Promise<FetchedJob | null> {
    return this.write('claiming a job', (ctx) => claimJob(ctx, params));
  }

  async jobLeaseExtend(params: JobLeaseExtendParams): Promise<JobLeaseExtendResult> {
    this.guard();
    if (params.leases.length === 0) return { lost: [] };
    return { lost: await this.write('extending leases', (ctx) => extendLeases(ctx, params)) };
  }

  async jobChange(params: JobChangeParams): Promise<JobChangeResult> {
    return this.write('changing a waiting job', (ctx) => changeJob(ctx, storableJobChange(params)));
  }

  async deadLettersList(params: DeadLettersListParams): Promise<DeadLettersListResult> {
    this.guard();
    return this.read('listing dead letters', (db) => listDeadLetters(db, this.s, params));
  }

  async deadLettersGroups(params: DeadLettersGroupsParams): Promise<DeadLetterGroup[]> {
    this.guard();
    return this.read('counting dead letters', (db) => deadLetterGroups(db, this.s, params));
  }

  async deadLettersRedrive(params: DeadLettersRedriveParams): Promise<DeadLettersRedriveResult> {
    this.guard();
    if (params.redrives.length === 0) return { results: [] };
    return this.write('redriving dead letters', (ctx) => redriveDeadLetters(ctx, storableRedrive(params), !this.options.generalWritesOnly));
  }

  async jobSetState(params: JobSetStateParams): Promise<JobSetStateResult> {
    return this.write('changing a job state', (ctx) => setJobState(ctx, storableStateChange(params)));
  }

  async jobGet(params: { id: string }): Promise<JobRecord | null> {
    const rows = await this.read('reading a job', (db) => db.run(`SELECT ${JOB_SELECT} FROM ${this.s}.jobs WHERE id = $1`, [params.id]));
    return rows.length === 0 ? null : decodeJob(rows[0]!);
  }

  async jobProgressSet(params: { id: string; leaseToken: string; progress: number }): Promise<boolean> {
    return this.write('setting progress', (ctx) => setProgress(ctx, params));
  }

  async jobLogsAppend(params: { entries: NewLogRecord[] }): Promise<void> {
    this.guard();
    if (params.entries.length === 0) return;
    return this.write('appending logs', (ctx) => appendLogs(ctx, storableLogs(params.entries)));
  }

  async jobParameterSet(params: { id: string; key: string; value: Json }): Promise<boolean> {
    return this.write('setting a parameter', (ctx) => setParameter(ctx, storableParameter(params)));
  }

  async jobExpirationSet(params: { id: string; ttlMs: number | null }): Promise<boolean> {
    return this.write('setting an expiration', (ctx) => setExpiration(ctx, params));
  }

  async jobsExpire(params: { limit: number }): Promise<{ deleted: number }> {
    return this.write('expiring jobs', (ctx) => expireJobs(ctx, params.limit));
  }

  async scheduledPromoteDue(params: { limit: number }): Promise<{ promoted: number; nextDueAt: number | null }> {
    return this.write('promoting due jobs', (ctx) => promoteDueJobs(ctx, params.limit));
  }

  async leasesRescueExpired(params: { limit: number; maxRescues: number }): Promise<{ requeued: string[]; failed: string[] }> {
    return this.write('rescuing expired leases', (ctx) => rescueExpiredLeases(ctx, params));
  }

  async limitsSet(params: LimitsSetParams): Promise<void> {
    await this.write('setting limits', (ctx) => setLimits(ctx, params));
    this.limitsKnownAt = Number.NEGATIVE_INFINITY;
  }

  async limitsList(): Promise<LimitRecord[]> {
    return this.read('listing limits', (db) => listLimits(db, this.s));
  }

  async limitsGates(params: { gates: readonly string[] }): Promise<GateReading[]> {
    return this.read('reading gates', (db) => readGates(db, this.s, params.gates));
  }

  async auditAppend(params: AuditAppendParams): Promise<AuditEntry> {
    return this.write('appending to the audit log', (ctx) => appendAudit(ctx, params));
  }

  async auditList(params: AuditListParams): Promise<AuditEntry[]> {
    return this.read('reading the audit log', (db) => listAudit(db, this.s, params));
  }

  async metricsRecord(params: MetricsRecordParams): Promise<void> {
    if (params.counts.length === 0) return this.read('recording job metrics', async () => undefined);
    // One statement: atomic on its own, no transaction needed.
    return this.read('recording job metrics', (db) => recordMetrics(db, this.s, params));
  }

  async metricsRead(params: MetricsReadParams): Promise<MetricsCount[]> {
    return this.read('reading job metrics', (db) => readMetrics(db, this.s, params));
  }

  async metricsExpire(params: MetricsExpireParams): Promise<{ deleted: number }> {
    return this.read('expiring job metrics', (db) => expireMetrics(db, this.s, params));
  }

  async queuePauseSet(params: { queue: string; paused: boolean }): Promise<void> {
    return this.write('pausing a queue', (ctx) => setQueuePaused(ctx, params.queue, params.paused));
  }

  async recurringUpsert(params: { recurring: RecurringUpsert }): Promise<void> {
    return this.write('saving a recurring job', (ctx) => upsertRecurring(ctx, params.recurring));
  }

  async recurringGet(params: { id: string }): Promise<RecurringRecord | null> {
    return this.read('reading a recurring job', (db) => getRecurring(db, this.s, params.id));
  }

  async recurringList(params: { limit: number; afterId?: string }): Promise<RecurringRecord[]> {
    return this.read('listing recurring jobs', (db) => listRecurring(db, this.s, params));
  }

  async recurringRemove(params: { id: string }): Promise<boolean> {
    return this.write('removing a recurring job', (ctx) => removeRecurring(ctx, params.id));
  }

  async recurringHistory(params: { id: string; limit: number }): Promise<RecurringHistoryRecord[]> {
    return this.read('reading a recurring job history', (db) => recurringHistory(db, this.s, params));
  }

  async recurringPauseSet(params: { id: string; paused: boolean; nextRunAt: Date | null }): Promise<boolean> {
    return this.write('pausing a recurring job', (ctx) => pauseRecurring(ctx, params));
  }

  async recurringDue(params: { limit: number }): Promise<RecurringDueResult> {
    return this.read('reading due recurring jobs', (db) => dueRecurring(db, this.s, this.clock?.now() ?? null, params.limit));
  }

  async recurringFire(params: RecurringFireParams): Promise<RecurringFireResult> {
    return this.write('firing a recurring job', (ctx) => fireRecurring(ctx, params));
  }

  async serverHeartbeat(params: { server: Omit<ServerRecord, 'heartbeatAt'> }): Promise<void> {
    return this.write('recording a heartbeat', (ctx) => heartbeat(ctx, params.server));
  }

  async serverRemove(params: { id: string }): Promise<void> {
    await this.write('removing a server', (ctx) => ctx.db.run(`DELETE FROM ${this.s}.servers WHERE id = $1`, [params.id]));
  }

  async serversRemoveDead(params: { timeoutMs: number }): Promise<string[]> {
    return this.write('removing dead servers', (ctx) => removeDeadServers(ctx, params.timeoutMs));
  }

  // ---- internals -------------------------------------------------------------------------------

  private readonly poolExecutor: Executor = pgExecutor({ query: (config) => this.pool.query(config) });

  private guard(): void {
    if (this.closed) throw new StorageClosedError('postgres');
  }

  /** Resolves once the schema is ready (see {@link readying}). */
  private whenReady(): Promise<void> {
    this.guard();
    return this.readying.run();
  }

  private async prepareSchema(): Promise<void> {
    try {
      if (this.options.migrate) await applyMigrations(this.pool, this.options.schema, this.clock?.now() ?? null, this.options.migrationLockTimeout);
      else await requireCurrentSchema(this.pool, this.options.schema);
    } catch (error) {
      throw translateError(error, 'preparing the schema');
    }
    if (this.listeners.size > 0) void this.listener.start();
  }

  /**
   * Runs one statement that commits on its own, on a pooled connection; driver errors are translated.
   * A statement that lost a deadlock changed nothing and runs again.
   */
  private async statement<T>(doing: string, work: (db: Executor) => Promise<T>): Promise<T> {
    await this.whenReady();
    for (let attempt = 1; ; attempt++) {
      try {
        return await work(this.poolExecutor);
      } catch (error) {
        if (isConflict(error) && attempt < CONFLICT_RETRIES) continue;
        throw translateError(error, doing);
      }
    }
  }

  /** Runs reads on pooled connections; driver errors are translated. */
  private async read<T>(doing: string, work: (db: Executor) => Promise<T>): Promise<T> {
    await this.whenReady();
    try {
      return await work(this.poolExecutor);
    } catch (error) {
      throw translateError(error, doing);
    }
  }

  /**
   * Runs `work` in one transaction on one pooled connection and emits its events after the commit.
   * A transaction that lost a deadlock or serialization conflict runs again with a fresh context, so
   * events and counters are never counted twice.
   */
  private async write<T>(doing: string, work: (ctx: WriteContext) => Promise<T>): Promise<T> {
    await this.whenReady();
    for (let attempt = 1; ; attempt++) {
      let client: PoolClient | null = null;
      let broken: Error | undefined;
      let committing = false;
      try {
        client = await this.pool.connect();
        // A connection that dies between two statements of this transaction reports it as an event;
        // the next statement fails with it, so the event itself needs no handling beyond existing.
        client.on('error', ignoreError);
        const db = pgExecutor(client);
        let now: number;
        if (this.clock !== null) {
          await client.query('BEGIN');
          now = this.clock.now();
        } else {
          const results = (await client.query('BEGIN; SELECT (extract(epoch from now()) * 1000)::bigint AS now')) as unknown as Array<{ rows: Array<{ now: string }> }>;
          now = Number(results[1]!.rows[0]!.now);
        }
        const ctx = new WriteContext(db, this.s, now, this.channel, this.sender);
        const result = await work(ctx);
        await ctx.flush();
        committing = true;
        await client.query('COMMIT');
        client.off('error', ignoreError);
        client.release();
        client = null;
        this.emit(ctx.events.list);
        return result;
      } catch (error) {
        if (client !== null) {
          await client.query('ROLLBACK').catch((rollbackError: Error) => {
            broken = rollbackError;
          });
          client.off('error', ignoreError);
          client.release(broken ?? (isRetryable(error) ? (error as Error) : undefined));
        }
        if (isConflict(error) && attempt < CONFLICT_RETRIES) continue;
        throw translateError(error, doing, committing ? 'commit' : 'before-commit');
      }
    }
  }

  /** Creates jobs in the caller's open transaction: no BEGIN or COMMIT of ours; events go out by NOTIFY at their commit. */
  private async createInTransaction(params: JobsCreateParams, bounded: boolean): Promise<JobsCreateResult> {
    const db = externalExecutor(params.transaction);
    if (db === null) {
      throw new ConfigError([
        {
          path: 'enqueue options.transaction',
          message: 'expected a node-postgres Client or PoolClient inside BEGIN, or a postgres.js transaction `sql` (from sql.begin)',
        },
      ]);
    }
    await this.whenReady();
    // Sender '' : this storage's own listener emits these events too, once the caller commits.
    const ctx = new WriteContext(db, this.s, this.clock?.now() ?? null, this.channel, '');
    try {
      const jobs = await createJobs(ctx, params.jobs, true, bounded);
      return { jobs };
    } catch (error) {
      throw translateError(error, "creating jobs in the caller's transaction");
    }
  }

  private emit(events: readonly StorageEvent[]): void {
    if (events.length === 0 || this.listeners.size === 0) return;
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          // The write has committed: a failing listener must not make it look failed.
          process.emitWarning(`A Spool storage event listener threw: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
  }
}

/**
 * Whether a queue is paused, read in the claim's transaction (the claim without limits checks it in
 * its statement). The same statement lets the claim's commit skip waiting for the disk, as the
 * claim without limits does (jobs-fetch.ts): the gates' counts are written in the same transaction
 * as the leases, so a crash that loses the claim loses both, and the jobs are simply enqueued again
 * (decision 51). A claim that also writes a skipped job's change asks for the wait again
 * (`claimGated`).
 */
async function queuePaused(ctx: WriteContext, queue: string): Promise<boolean> {
  const [row] = await ctx.db.run(
    `SELECT EXISTS (SELECT 1 FROM ${ctx.s}.paused_queues WHERE name = $1) AS paused, set_config('synchronous_commit', 'off', true) AS async`,
    [queue],
  );
  return row!.paused === true;
}
