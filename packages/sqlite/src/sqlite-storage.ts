import type Database from 'better-sqlite3';
import type {
  DeadLetterGroup,
  DeadLettersGroupsParams,
  DeadLettersListParams,
  DeadLettersListResult,
  DeadLettersRedriveParams,
  DeadLettersRedriveResult,
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
import { listLimits, readGates, setLimits } from './limits-store.js';
import { expireMetrics, readMetrics, recordMetrics } from './metrics-store.js';
import { appendAudit, listAudit } from './audit-store.js';
import { StorageClosedError, systemClock } from '@spool/core';
import { StartOnce, storableCompletions, storableLogs, storableNewJobs, storableJobChange, storableParameter, storableRedrive, storableStateChange } from '@spool/core/storage-kit';

import { ChangeWatcher } from './change-watcher.js';
import { applicationDatabase, createInApplicationTransaction } from './external-transaction.js';
import type { JobValues } from './job-row.js';
import { JOB_SELECT, decodeJob } from './job-row.js';
import { deadLetterGroups, listDeadLetters, redriveDeadLetters } from './dead-letters.js';
import { appendLogs, changeJob, setExpiration, setJobState, setParameter } from './job-updates.js';
import { completeJobs, extendLeases, setProgress } from './jobs-complete.js';
import { createJobs } from './jobs-create.js';
import { claimJob, fetchJobs } from './jobs-fetch.js';
import { expireJobs, promoteDueJobs, rescueExpiredLeases } from './jobs-maintenance.js';
import { applyMigrations, requireCurrentSchema } from './migrator.js';
import { dueRecurring, fireRecurring, getRecurring, listRecurring, pauseRecurring, recurringHistory, removeRecurring, upsertRecurring } from './recurring-store.js';
import { heartbeat, removeDeadServers, removeServer, setQueuePaused } from './server-store.js';
import { SqliteConnection } from './sqlite-connection.js';
import { SqliteMonitoring } from './sqlite-monitoring.js';
import { SqliteFlows } from './flows-store.js';
import type { ResolvedSqliteStorageOptions, SqliteStorageOptions } from './sqlite-options.js';
import { resolveSqliteOptions } from './sqlite-options.js';
import { WriteContext } from './write-context.js';

/** Test-only hooks of the SQLite storage. */
export interface SqliteStorageRuntime {
  clock?: Clock;
}

/**
 * Spool's embedded storage: one SQLite file (or `:memory:`), shared safely by several processes.
 * Every operation is one transaction; writes take the lock first (`BEGIN IMMEDIATE`) and stay short.
 * Wake-up events reach servers in this process at once and servers in other processes within a
 * fraction of a second (a cheap check for other connections' commits).
 */
export class SqliteStorage implements Storage {
  readonly kind = 'sqlite';
  readonly capabilities: StorageCapabilities;
  readonly monitoring: MonitoringApi;
  /** Batches and flows (decision 46). */
  readonly flows: FlowStorage;
  /** The options after defaults (`busyTimeout` in milliseconds). */
  readonly options: ResolvedSqliteStorageOptions;
  private readonly clock: Clock;
  private readonly listeners = new Set<(event: StorageEvent) => void>();
  private conn: SqliteConnection | null = null;
  private readonly opening = new StartOnce(() => this.open());
  private readonly readying = new StartOnce(() => this.ready());
  private watcher: ChangeWatcher | null = null;
  /** The application's databases enqueued into, each with its prepared statements (kept while the application keeps the database). */
  private readonly applicationConnections = new WeakMap<Database.Database, SqliteConnection>();
  private closed = false;

  constructor(options: SqliteStorageOptions, runtime: SqliteStorageRuntime = {}) {
    this.options = resolveSqliteOptions(options);
    this.clock = runtime.clock ?? systemClock;
    this.capabilities = Object.freeze({
      multiProcess: true,
      notifications: 'local',
      // The application's database must be the storage's file: a ':memory:' database has no second connection.
      externalTransactions: this.options.path !== ':memory:',
      durable: this.options.path !== ':memory:',
      flowControl: true,
      waitingChanges: true,
      replaceDuplicates: true,
      deadLetters: true,
      batches: true,
      handover: false,
    });
    this.monitoring = new SqliteMonitoring(() => this.connection());
    this.flows = new SqliteFlows({ write: (doing, work) => this.write(doing, work), connection: () => this.connection() });
  }

  async init(): Promise<void> {
    await this.connection();
  }

  async migrate(): Promise<{ applied: number[] }> {
    const conn = await this.configured();
    return { applied: await applyMigrations(conn, this.clock) };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.watcher?.stop();
    // Let a concurrent opening finish before closing what it opened.
    const conn = await this.opening.current?.catch(() => null);
    conn?.close();
  }

  async now(): Promise<number> {
    this.guard();
    return this.clock.now();
  }

  subscribe(listener: (event: StorageEvent) => void): () => void {
    this.listeners.add(listener);
    if (this.conn !== null) this.watchOthers(this.conn);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.watcher?.stop();
    };
  }

  async jobsCreate(params: JobsCreateParams): Promise<JobsCreateResult> {
    if (params.jobs.length === 0) {
      this.guard();
      return { jobs: [] };
    }
    const jobs = storableNewJobs(params.jobs);
    if (params.transaction !== undefined && params.transaction !== null) return this.createInTransaction(params.transaction, jobs);
    return { jobs: await this.write('creating jobs', (ctx) => createJobs(ctx, jobs)) };
  }

  async jobsFetch(params: JobsFetchParams): Promise<FetchedJob[]> {
    if (params.limit <= 0 || params.queues.length === 0) {
      this.guard();
      return [];
    }
    return this.write('fetching jobs', (ctx) => fetchJobs(ctx, params));
  }

  async jobsComplete(params: JobsCompleteParams): Promise<JobsCompleteResult> {
    if (params.completions.length === 0) {
      this.guard();
      return { results: [] };
    }
    const storable = { ...params, completions: storableCompletions(params.completions) };
    return this.write('completing jobs', (ctx) => completeJobs(ctx, storable));
  }

  async jobClaim(params: JobClaimParams): Promise<FetchedJob | null> {
    return this.write('claiming a job', (ctx) => claimJob(ctx, params));
  }

  async jobLeaseExtend(params: JobLeaseExtendParams): Promise<JobLeaseExtendResult> {
    if (params.leases.length === 0) {
      this.guard();
      return { lost: [] };
    }
    return { lost: await this.write('extending leases', (ctx) => extendLeases(ctx, params)) };
  }

  async jobChange(params: JobChangeParams): Promise<JobChangeResult> {
    return this.write('changing a waiting job', (ctx) => changeJob(ctx, storableJobChange(params)));
  }

  async jobSetState(params: JobSetStateParams): Promise<JobSetStateResult> {
    return this.write('changing a job state', (ctx) => setJobState(ctx, storableStateChange(params)));
  }

  async deadLettersList(params: DeadLettersListParams): Promise<DeadLettersListResult> {
    this.guard();
    return listDeadLetters(await this.connection(), params);
  }

  async deadLettersGroups(params: DeadLettersGroupsParams): Promise<DeadLetterGroup[]> {
    this.guard();
    return deadLetterGroups(await this.connection(), params);
  }

  async deadLettersRedrive(params: DeadLettersRedriveParams): Promise<DeadLettersRedriveResult> {
    return this.write('redriving dead letters', (ctx) => redriveDeadLetters(ctx, storableRedrive(params)));
  }

  async jobGet(params: { id: string }): Promise<JobRecord | null> {
    const conn = await this.connection();
    const row = await conn.attempt('reading a job', () => conn.raw(`SELECT ${JOB_SELECT} FROM spool_jobs WHERE id = ?`).get(params.id) as JobValues | undefined);
    return row === undefined ? null : decodeJob(row);
  }

  async jobProgressSet(params: { id: string; leaseToken: string; progress: number }): Promise<boolean> {
    return this.write('setting progress', (ctx) => setProgress(ctx, params));
  }

  async jobLogsAppend(params: { entries: NewLogRecord[] }): Promise<void> {
    if (params.entries.length === 0) {
      this.guard();
      return;
    }
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

  async queuePauseSet(params: { queue: string; paused: boolean }): Promise<void> {
    return this.write('pausing a queue', (ctx) => setQueuePaused(ctx, params.queue, params.paused));
  }

  async limitsSet(params: LimitsSetParams): Promise<void> {
    return this.write('setting limits', (ctx) => setLimits(ctx, params));
  }

  async limitsList(): Promise<LimitRecord[]> {
    const conn = await this.connection();
    return conn.attempt('listing limits', () => listLimits(conn));
  }

  async limitsGates(params: { gates: readonly string[] }): Promise<GateReading[]> {
    const conn = await this.connection();
    return conn.attempt('reading gates', () => [...readGates(conn, params.gates)].map(([gate, state]) => ({ gate, state })));
  }

  async auditAppend(params: AuditAppendParams): Promise<AuditEntry> {
    return this.write('appending to the audit log', (ctx) => appendAudit(ctx.conn, ctx.now, params));
  }

  async auditList(params: AuditListParams): Promise<AuditEntry[]> {
    const conn = await this.connection();
    return conn.attempt('reading the audit log', () => listAudit(conn, params));
  }

  async metricsRecord(params: MetricsRecordParams): Promise<void> {
    if (params.counts.length === 0) return this.guard();
    return this.write('recording job metrics', (ctx) => recordMetrics(ctx.conn, params));
  }

  async metricsRead(params: MetricsReadParams): Promise<MetricsCount[]> {
    const conn = await this.connection();
    return conn.attempt('reading job metrics', () => readMetrics(conn, params));
  }

  async metricsExpire(params: MetricsExpireParams): Promise<{ deleted: number }> {
    return this.write('expiring job metrics', (ctx) => expireMetrics(ctx.conn, params));
  }

  async recurringUpsert(params: { recurring: RecurringUpsert }): Promise<void> {
    return this.write('saving a recurring job', (ctx) => upsertRecurring(ctx, params.recurring));
  }

  async recurringGet(params: { id: string }): Promise<RecurringRecord | null> {
    const conn = await this.connection();
    return conn.attempt('reading a recurring job', () => getRecurring(conn, params.id));
  }

  async recurringList(params: { limit: number; afterId?: string }): Promise<RecurringRecord[]> {
    const conn = await this.connection();
    return conn.attempt('listing recurring jobs', () => listRecurring(conn, params));
  }

  async recurringRemove(params: { id: string }): Promise<boolean> {
    return this.write('removing a recurring job', (ctx) => removeRecurring(ctx, params.id));
  }

  async recurringHistory(params: { id: string; limit: number }): Promise<RecurringHistoryRecord[]> {
    const conn = await this.connection();
    return conn.attempt('reading a recurring job history', () => recurringHistory(conn, params));
  }

  async recurringPauseSet(params: { id: string; paused: boolean; nextRunAt: Date | null }): Promise<boolean> {
    return this.write('pausing a recurring job', (ctx) => pauseRecurring(ctx, params));
  }

  async recurringDue(params: { limit: number }): Promise<RecurringDueResult> {
    const conn = await this.connection();
    return conn.attempt('reading due recurring jobs', () => dueRecurring(conn, this.clock.now(), params.limit));
  }

  async recurringFire(params: RecurringFireParams): Promise<RecurringFireResult> {
    return this.write('firing a recurring job', (ctx) => fireRecurring(ctx, params));
  }

  async serverHeartbeat(params: { server: Omit<ServerRecord, 'heartbeatAt'> }): Promise<void> {
    return this.write('recording a heartbeat', (ctx) => heartbeat(ctx, params.server));
  }

  async serverRemove(params: { id: string }): Promise<void> {
    return this.write('removing a server', (ctx) => removeServer(ctx, params.id));
  }

  async serversRemoveDead(params: { timeoutMs: number }): Promise<string[]> {
    return this.write('removing dead servers', (ctx) => removeDeadServers(ctx, params.timeoutMs));
  }

  // ---- internals -------------------------------------------------------------------------------

  private guard(): void {
    if (this.closed) throw new StorageClosedError('sqlite');
  }

  /** The connection, ready for work: the first call opens it and applies migrations (or checks the schema is current). */
  private connection(): Promise<SqliteConnection> {
    this.guard();
    if (this.conn !== null) return Promise.resolve(this.conn);
    return this.readying.run();
  }

  private async ready(): Promise<SqliteConnection> {
    const conn = await this.configured();
    if (this.options.migrate) await applyMigrations(conn, this.clock);
    else await requireCurrentSchema(conn);
    this.conn = conn;
    if (this.listeners.size > 0) this.watchOthers(conn);
    return conn;
  }

  /** The connection, opened and configured, whatever its schema. */
  private configured(): Promise<SqliteConnection> {
    this.guard();
    return this.opening.run();
  }

  private async open(): Promise<SqliteConnection> {
    const conn = new SqliteConnection(this.options.path, this.options.busyTimeout);
    try {
      await conn.configure();
    } catch (error) {
      conn.close();
      throw error;
    }
    if (this.closed) {
      conn.close();
      throw new StorageClosedError('sqlite');
    }
    return conn;
  }

  /**
   * Runs `work` in one write transaction and emits its events after the commit. A busy attempt rolls
   * back and runs again with a fresh context, so events and counters are never counted twice.
   */
  private async write<T>(doing: string, work: (ctx: WriteContext) => T): Promise<T> {
    this.guard();
    const conn = this.conn ?? (await this.connection());
    let ctx: WriteContext | null = null;
    const result = await conn.write(doing, () => {
      ctx = new WriteContext(conn, this.clock.now(), !this.options.generalWritesOnly);
      const value = work(ctx);
      ctx.flush();
      return value;
    });
    this.emit(ctx!.events.list);
    return result;
  }

  /**
   * Creates jobs on the application's own database, inside the transaction it began: no BEGIN or
   * COMMIT of ours, so the jobs commit or roll back with the application's rows. No event is
   * emitted here (nothing is committed yet): after the commit, the change watcher of every storage on
   * the file (this one included, its connection being another) wakes the servers.
   */
  private async createInTransaction(transaction: unknown, jobs: JobsCreateParams['jobs']): Promise<JobsCreateResult> {
    // The schema is the storage's to apply or check, on its own connection, before the first job.
    await this.connection();
    // Checked after the wait, right before writing: nothing runs in between (the writes are synchronous).
    const db = applicationDatabase(transaction, this.options.path);
    let conn = this.applicationConnections.get(db);
    if (conn === undefined) {
      conn = new SqliteConnection(this.options.path, this.options.busyTimeout, db);
      this.applicationConnections.set(db, conn);
    }
    return { jobs: createInApplicationTransaction(new WriteContext(conn, this.clock.now(), !this.options.generalWritesOnly), jobs) };
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

  private watchOthers(conn: SqliteConnection): void {
    if (!this.capabilities.durable) return;
    this.watcher ??= new ChangeWatcher(conn, (events) => this.emit(events));
    this.watcher.start();
  }
}

