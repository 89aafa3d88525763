import mysql from 'mysql2/promise';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';

import type {
  DeadLetterGroup,
  DeadLettersGroupsParams,
  DeadLettersListParams,
  DeadLettersListResult,
  DeadLettersRedriveParams,
  DeadLettersRedriveResult,
  NewJob,
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
import type { QueueBounds } from '@spool/core/storage-kit';
import { StartOnce, queueBoundsInForce, storableCompletions, storableLogs, storableNewJobs, storableJobChange, storableParameter, storableRedrive, storableStateChange } from '@spool/core/storage-kit';

import { ChangeWatcher } from './change-watcher.js';
import type { Executor } from './executor.js';
import { connectionExecutor, externalExecutor } from './executor.js';
import { JOB_SELECT, decodeJob } from './job-row.js';
import { deadLetterGroups, listDeadLetters, redriveDeadLetters } from './dead-letters.js';
import { appendLogs, changeJob, setExpiration, setJobState, setParameter } from './job-updates.js';
import { completeJobs, extendLeases, setProgress } from './jobs-complete.js';
import { createJobs } from './jobs-create.js';
import { claimJob, fetchJobs, fetchesNothing } from './jobs-fetch.js';
import { expireJobs, promoteDueJobs, rescueExpiredLeases } from './jobs-maintenance.js';
import { listLimits, readGates, setLimits } from './limits-store.js';
import { expireMetrics, readMetrics, recordMetrics } from './metrics-store.js';
import { appendAudit, listAudit } from './audit-store.js';
import { applyMigrations, requireCurrentSchema } from './migrator.js';
import { MySqlMonitoring } from './mysql-monitoring.js';
import { MySqlFlows } from './flows-store.js';
import type { MySqlStorageOptions, ResolvedMySqlStorageOptions } from './mysql-options.js';
import { resolveMySqlOptions } from './mysql-options.js';
import { dueRecurring, fireRecurring, getRecurring, listRecurring, pauseRecurring, recurringHistory, removeRecurring, upsertRecurring } from './recurring-store.js';
import { heartbeat, removeDeadServers, setQueuePaused } from './server-store.js';
import type { Tables } from './tables.js';
import { tablesOf } from './tables.js';
import { isConflict, isRetryable, translateError } from './translate-error.js';
import { WriteContext } from './write-context.js';

/** Test-only hooks of the MySQL storage. */
export interface MySqlStorageRuntime {
  /** The storage clock. Default: the database's clock, the same for every server. */
  clock?: Clock;
}

/** The driver's callback connection, as the pool's 'connection' event gives it. */
interface CallbackConnection {
  on(event: 'error', listener: (error: Error) => void): void;
  query(sql: string, callback: (error: Error | null) => void): void;
}

/** How long the queue bounds a storage knows of decide whether a create checks them, before they are read again (a cache, not the storage's clock). */
const BOUNDS_REFRESH_MS = 2_000;

/** How often a transaction that lost a deadlock or a lock wait runs again before failing. */
const CONFLICT_RETRIES = 8;

// Every session of the storage's pool: UTC, so that the database's clock reads the same whatever
// the server's time zone (and never jumps at a daylight-saving change); strict, so that a value too
// long or out of range is refused rather than cut; READ COMMITTED, so that locking reads lock the
// rows they return and no gaps between them (SKIP LOCKED claims, fewer deadlocks).
const SESSION_SETUP = [
  "SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'",
  'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
];
const NOW_SQL = 'SELECT CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) AS now';

/** Starts a transaction and reads the storage clock's time, in one round trip. */
async function begin(connection: PoolConnection): Promise<number> {
  const [results] = await connection.query<RowDataPacket[][]>(`START TRANSACTION;\n${NOW_SQL}`);
  return Number(results[1]![0]!.now);
}

/**
 * Spool's storage on MySQL 8 and MariaDB: any number of Spool servers on any number of machines
 * share one database, in tables under a prefix beside the application's own. Claims take a batch
 * with `FOR UPDATE SKIP LOCKED`; wake-ups reach servers of this process at once and other processes
 * within the watch interval; `enqueue` can join the application's own mysql2 transaction.
 */
export class MySqlStorage implements Storage {
  readonly kind = 'mysql';
  readonly capabilities: StorageCapabilities = Object.freeze({
    multiProcess: true,
    notifications: 'local',
    externalTransactions: true,
    durable: true,
    flowControl: true,
    waitingChanges: true,
    replaceDuplicates: true,
    deadLetters: true,
    batches: true,
    handover: false,
  });
  readonly monitoring: MonitoringApi;
  /** Batches and flows (decision 46). */
  readonly flows: FlowStorage;
  /** The options after defaults (durations in milliseconds). */
  readonly options: ResolvedMySqlStorageOptions;
  /** The pool the storage runs its statements on. */
  readonly pool: Pool;
  private readonly clock: Clock | null;
  private readonly t: Tables;
  private readonly listeners = new Set<(event: StorageEvent) => void>();
  private readonly watcher: ChangeWatcher;
  private readonly readying = new StartOnce(() => this.prepare());
  private closed = false;
  private conflicts = 0;
  private knownBounds: QueueBounds = new Map();
  private boundsKnownAt = Number.NEGATIVE_INFINITY;

  constructor(options: MySqlStorageOptions, runtime: MySqlStorageRuntime = {}) {
    this.options = resolveMySqlOptions(options);
    this.clock = runtime.clock ?? null;
    this.t = tablesOf(this.options.prefix);
    const url = new URL(this.options.url);
    // mysql2 reads mysql:// URLs; mariadb:// names the same protocol.
    url.protocol = 'mysql:';
    this.pool = mysql.createPool({
      uri: url.toString(),
      connectionLimit: this.options.poolSize,
      connectTimeout: this.options.connectTimeout,
      enableKeepAlive: true,
      charset: 'utf8mb4',
      // Wait for a free connection at most as long as for a new one: an outage fails calls fast.
      queueLimit: 0,
      // A write sends its first statements, and its last ones with the COMMIT, in one round trip
      // each (write()): a transaction of the hot paths was seven round trips, now four or five.
      // Every value goes through the driver's escaping, as in single statements.
      multipleStatements: true,
    });
    // The event hands over the driver's callback connection: commands queued here run before any other.
    this.pool.on('connection', (connection) => {
      const core = connection as unknown as CallbackConnection;
      // A connection that breaks while idle reports an error event; without a listener it would end the process.
      core.on('error', () => undefined);
      for (const statement of SESSION_SETUP) core.query(statement, () => undefined);
    });
    this.watcher = new ChangeWatcher((work) => this.read('watching for changes', work), this.t, this.options.watchInterval, (events) => this.emit(events));
    this.monitoring = new MySqlMonitoring((doing, work) => this.read(doing, work), this.t);
    this.flows = new MySqlFlows({ t: this.t, write: (doing, work) => this.write(doing, work), read: (doing, work) => this.read(doing, work) });
  }

  async init(): Promise<void> {
    await this.whenReady();
  }

  async migrate(): Promise<{ applied: number[] }> {
    this.guard();
    try {
      return { applied: await applyMigrations(this.pool, this.options.prefix, this.clock?.now() ?? null, this.options.migrationLockTimeout) };
    } catch (error) {
      throw translateError(error, 'applying migrations');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.watcher.stop();
    await this.readying.current?.catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }

  async now(): Promise<number> {
    this.guard();
    if (this.clock !== null) return this.clock.now();
    const [row] = await this.read('reading the time', (db) => db.rows(NOW_SQL));
    return Number(row!.now);
  }

  subscribe(listener: (event: StorageEvent) => void): () => void {
    this.listeners.add(listener);
    if (!this.closed) this.watcher.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.watcher.stop();
    };
  }

  /** How many transactions ran again after losing a deadlock or a lock wait (each then committed once, or failed). */
  get conflictsRetried(): number {
    return this.conflicts;
  }

  /**
   * Resolves once the watcher of other processes' commits has read what it compares later reads
   * with: changes committed after this are announced to subscribers. Immediate without subscribers.
   */
  async watching(): Promise<void> {
    await this.watcher.noted();
  }

  async jobsCreate(params: JobsCreateParams): Promise<JobsCreateResult> {
    this.guard();
    if (params.jobs.length === 0) return { jobs: [] };
    const jobs = storableNewJobs(params.jobs);
    const bounded = await this.mayBeBounded(jobs);
    if (params.transaction !== undefined && params.transaction !== null) return this.createInTransaction(params.transaction, jobs, bounded);
    return { jobs: await this.write('creating jobs', (ctx) => createJobs(ctx, jobs, undefined, bounded)) };
  }

  /**
   * Whether a queue of these jobs may be bounded, by the bounds this storage knows of (read at most
   * BOUNDS_REFRESH_MS ago, and after its own limitsSet): only then does a create lock the queue's
   * limits row and read its count, so jobs of unbounded queues are created as before. A bound set
   * in another process applies to creates from here within that time.
   */
  private async mayBeBounded(jobs: readonly NewJob[]): Promise<boolean> {
    const now = Date.now();
    if (now - this.boundsKnownAt >= BOUNDS_REFRESH_MS) {
      this.boundsKnownAt = now;
      this.knownBounds = queueBoundsInForce(await this.limitsList());
    }
    return this.knownBounds.size > 0 && jobs.some((job) => this.knownBounds.has(job.queue));
  }

  async jobsFetch(params: JobsFetchParams): Promise<FetchedJob[]> {
    this.guard();
    if (fetchesNothing(params)) return [];
    return this.write('fetching jobs', (ctx) => fetchJobs(ctx, params));
  }

  async jobsComplete(params: JobsCompleteParams): Promise<JobsCompleteResult> {
    this.guard();
    if (params.completions.length === 0) return { results: [] };
    const storable = { ...params, completions: storableCompletions(params.completions) };
    return this.write('completing jobs', (ctx) => completeJobs(ctx, storable, !this.options.generalWritesOnly));
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
    return this.read('listing dead letters', (db) => listDeadLetters(db, this.t, params));
  }

  async deadLettersGroups(params: DeadLettersGroupsParams): Promise<DeadLetterGroup[]> {
    return this.read('counting dead letters', (db) => deadLetterGroups(db, this.t, params));
  }

  async deadLettersRedrive(params: DeadLettersRedriveParams): Promise<DeadLettersRedriveResult> {
    if (params.redrives.length === 0) return { results: [] };
    return this.write('redriving dead letters', (ctx) => redriveDeadLetters(ctx, storableRedrive(params), !this.options.generalWritesOnly));
  }

  async jobSetState(params: JobSetStateParams): Promise<JobSetStateResult> {
    return this.write('changing a job state', (ctx) => setJobState(ctx, storableStateChange(params)));
  }

  async jobGet(params: { id: string }): Promise<JobRecord | null> {
    const [row] = await this.read('reading a job', (db) => db.rows(`SELECT ${JOB_SELECT} FROM ${this.t.jobs} WHERE id = ?`, [params.id]));
    return row === undefined ? null : decodeJob(row);
  }

  async jobProgressSet(params: { id: string; leaseToken: string; progress: number }): Promise<boolean> {
    return this.write('setting progress', (ctx) => setProgress(ctx, params));
  }

  async jobLogsAppend(params: { entries: NewLogRecord[] }): Promise<void> {
    this.guard();
    if (params.entries.length === 0) return;
    const entries = storableLogs(params.entries);
    await this.write('appending logs', (ctx) => appendLogs(ctx, entries));
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
    this.boundsKnownAt = Number.NEGATIVE_INFINITY;
  }

  async limitsList(): Promise<LimitRecord[]> {
    return this.read('listing limits', (db) => listLimits(db, this.t));
  }

  async limitsGates(params: { gates: readonly string[] }): Promise<GateReading[]> {
    return this.read('reading gates', (db) => readGates(db, this.t, params.gates));
  }

  async auditAppend(params: AuditAppendParams): Promise<AuditEntry> {
    return this.write('appending to the audit log', (ctx) => appendAudit(ctx, params));
  }

  async auditList(params: AuditListParams): Promise<AuditEntry[]> {
    return this.read('reading the audit log', (db) => listAudit(db, this.t, params));
  }

  async metricsRecord(params: MetricsRecordParams): Promise<void> {
    if (params.counts.length === 0) return this.whenReady();
    // One statement: atomic on its own, no transaction needed.
    await this.read('recording job metrics', (db) => recordMetrics(db, this.t, params));
  }

  async metricsRead(params: MetricsReadParams): Promise<MetricsCount[]> {
    return this.read('reading job metrics', (db) => readMetrics(db, this.t, params));
  }

  async metricsExpire(params: MetricsExpireParams): Promise<{ deleted: number }> {
    return this.read('expiring job metrics', (db) => expireMetrics(db, this.t, params));
  }

  async queuePauseSet(params: { queue: string; paused: boolean }): Promise<void> {
    return this.write('pausing a queue', (ctx) => setQueuePaused(ctx, params.queue, params.paused));
  }

  async recurringUpsert(params: { recurring: RecurringUpsert }): Promise<void> {
    return this.write('saving a recurring job', (ctx) => upsertRecurring(ctx, params.recurring));
  }

  async recurringGet(params: { id: string }): Promise<RecurringRecord | null> {
    return this.read('reading a recurring job', (db) => getRecurring(db, this.t, params.id));
  }

  async recurringList(params: { limit: number; afterId?: string }): Promise<RecurringRecord[]> {
    return this.read('listing recurring jobs', (db) => listRecurring(db, this.t, params));
  }

  async recurringRemove(params: { id: string }): Promise<boolean> {
    return this.write('removing a recurring job', (ctx) => removeRecurring(ctx, params.id));
  }

  async recurringHistory(params: { id: string; limit: number }): Promise<RecurringHistoryRecord[]> {
    return this.read('reading a recurring job history', (db) => recurringHistory(db, this.t, params));
  }

  async recurringPauseSet(params: { id: string; paused: boolean; nextRunAt: Date | null }): Promise<boolean> {
    return this.write('pausing a recurring job', (ctx) => pauseRecurring(ctx, params));
  }

  async recurringDue(params: { limit: number }): Promise<RecurringDueResult> {
    return this.read('reading due recurring jobs', async (db) => {
      // The time and the records in one statement's view would need a join; two reads on one connection
      // judge by a time taken just before the records are read, which is what the scheduler needs.
      const now = this.clock?.now() ?? Number((await db.rows(NOW_SQL))[0]!.now);
      return dueRecurring(db, this.t, now, params.limit);
    });
  }

  async recurringFire(params: RecurringFireParams): Promise<RecurringFireResult> {
    return this.write('firing a recurring job', (ctx) => fireRecurring(ctx, params));
  }

  async serverHeartbeat(params: { server: Omit<ServerRecord, 'heartbeatAt'> }): Promise<void> {
    return this.write('recording a heartbeat', (ctx) => heartbeat(ctx, params.server));
  }

  async serverRemove(params: { id: string }): Promise<void> {
    await this.write('removing a server', (ctx) => ctx.db.exec(`DELETE FROM ${this.t.servers} WHERE id = ?`, [params.id]));
  }

  async serversRemoveDead(params: { timeoutMs: number }): Promise<string[]> {
    return this.write('removing dead servers', (ctx) => removeDeadServers(ctx, params.timeoutMs));
  }

  // ---- internals -------------------------------------------------------------------------------

  private guard(): void {
    if (this.closed) throw new StorageClosedError('mysql');
  }

  /** Applies migrations (or checks the tables are current) once, before the first statement. */
  private async whenReady(): Promise<void> {
    this.guard();
    if (!this.readying.succeeded) await this.readying.run();
  }

  private async prepare(): Promise<void> {
    try {
      if (this.options.migrate) await applyMigrations(this.pool, this.options.prefix, this.clock?.now() ?? null, this.options.migrationLockTimeout);
      else await requireCurrentSchema(this.pool, this.options.prefix);
    } catch (error) {
      throw translateError(error, 'preparing the tables');
    }
  }

  /** Runs reads on one pooled connection; driver errors are translated. */
  private async read<T>(doing: string, work: (db: Executor) => Promise<T>): Promise<T> {
    await this.whenReady();
    let connection: PoolConnection | null = null;
    try {
      connection = await this.pool.getConnection();
      const result = await work(connectionExecutor(connection));
      connection.release();
      return result;
    } catch (error) {
      if (connection !== null) {
        if (isRetryable(error)) connection.destroy();
        else connection.release();
      }
      throw translateError(error, doing);
    }
  }

  /**
   * Runs `work` in one transaction on one pooled connection and emits its events after the commit.
   * A transaction that lost a deadlock or a lock wait runs again with a fresh context, so events
   * and counters are never counted twice.
   */
  private async write<T>(doing: string, work: (ctx: WriteContext) => Promise<T>): Promise<T> {
    await this.whenReady();
    for (let attempt = 1; ; attempt++) {
      let connection: PoolConnection | null = null;
      let committing = false;
      try {
        connection = await this.pool.getConnection();
        const now = this.clock?.now() ?? (await begin(connection));
        if (this.clock !== null) await connection.query('START TRANSACTION');
        const ctx = new WriteContext(connectionExecutor(connection), this.t, now);
        const result = await work(ctx);
        const final = ctx.takeFinalStatements();
        committing = true;
        await connection.query([...final.map(([sql]) => sql), 'COMMIT'].join(';\n'), final.flatMap(([, values]) => values));
        connection.release();
        connection = null;
        this.emit(ctx.events.list);
        return result;
      } catch (error) {
        if (connection !== null) {
          const rolledBack = await connection.query('ROLLBACK').then(
            () => true,
            () => false,
          );
          if (rolledBack && !isRetryable(error)) connection.release();
          else if (rolledBack && isConflict(error)) connection.release();
          else connection.destroy();
        }
        if (isConflict(error) && attempt < CONFLICT_RETRIES) {
          this.conflicts++;
          continue;
        }
        throw translateError(error, doing, committing ? 'commit' : 'before-commit');
      }
    }
  }

  /**
   * Creates jobs in the caller's open transaction (its own mysql2 connection, inside BEGIN): no
   * START TRANSACTION or COMMIT of ours. Servers of every process find the jobs once the caller
   * commits (the change watcher wakes them; their polling finds them in any case).
   */
  private async createInTransaction(transaction: unknown, jobs: JobsCreateParams['jobs'], bounded: boolean): Promise<JobsCreateResult> {
    const db = externalExecutor(transaction);
    if (db === null) {
      throw new ConfigError([
        { path: 'enqueue options.transaction', message: 'expected a mysql2 connection inside a transaction (from mysql2/promise, or a callback connection of mysql2)' },
      ]);
    }
    await this.whenReady();
    const now = await this.now();
    const ctx = new WriteContext(db, this.t, now);
    try {
      const created = await createJobs(ctx, jobs, undefined, bounded);
      await ctx.flush();
      return { jobs: created };
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
