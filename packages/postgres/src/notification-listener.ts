import type { ClientConfig, Notification, Pool, PoolClient } from 'pg';
import pg from 'pg';

import type { StorageEvent } from '@spool/core';

import { decodePayload } from './event-batch.js';
import { quoteIdent } from './migrator.js';

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;
/** A query on the listening connection this often: a connection that died silently is noticed and replaced. */
const PING_MS = 15_000;

/** Where the listener gets its dedicated connection. */
export type ListenSource = { config: ClientConfig } | { pool: Pool };

/**
 * Holds one connection that LISTENs on the storage's channel and turns notifications from other
 * storages (other processes, or the caller's own transactions) into events. When the connection
 * drops (PostgreSQL restarted, the backend was terminated, the network failed) it connects again with
 * backoff, by itself; events sent meanwhile are lost, which is why servers keep polling.
 */
export class NotificationListener {
  private client: pg.Client | PoolClient | null = null;
  private running = false;
  private delay = RECONNECT_MIN_MS;
  private timer: NodeJS.Timeout | null = null;
  private ping: NodeJS.Timeout | null = null;
  private connecting: Promise<void> | null = null;
  /** How many times the connection was (re)established; for tests and monitoring. */
  connections = 0;

  constructor(
    private readonly source: ListenSource,
    private readonly channel: string,
    private readonly sender: string,
    private readonly emit: (events: StorageEvent[]) => void,
  ) {}

  /** Starts listening (idempotent); resolves once the first LISTEN is in place or has failed. */
  start(): Promise<void> {
    if (this.running) return this.connecting ?? Promise.resolve();
    this.running = true;
    return this.connect();
  }

  /** Stops listening and releases the connection. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.ping !== null) clearInterval(this.ping);
    this.timer = this.ping = null;
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = null;
    if (client !== null) await this.dispose(client, false);
  }

  private connect(): Promise<void> {
    this.connecting = this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async open(): Promise<void> {
    let client: pg.Client | PoolClient | null = null;
    try {
      if ('pool' in this.source) {
        client = await this.source.pool.connect();
      } else {
        client = new pg.Client(this.source.config);
        await client.connect();
      }
      client.on('error', () => this.lost(client!));
      client.on('end', () => this.lost(client!));
      client.on('notification', (message: Notification) => this.receive(message));
      await client.query(`LISTEN ${quoteIdent(this.channel)}`);
      if (!this.running) {
        await this.dispose(client, false);
        return;
      }
      this.client = client;
      this.connections++;
      this.delay = RECONNECT_MIN_MS;
      this.ping ??= setInterval(() => {
        this.client?.query('SELECT 1').catch(() => (this.client !== null ? this.lost(this.client) : undefined));
      }, PING_MS).unref();
    } catch {
      if (client !== null) await this.dispose(client, true);
      this.retry();
    }
  }

  private lost(client: pg.Client | PoolClient): void {
    if (this.client !== client) return;
    this.client = null;
    void this.dispose(client, true);
    this.retry();
  }

  private retry(): void {
    if (!this.running || this.timer !== null) return;
    const wait = this.delay;
    this.delay = Math.min(this.delay * 2, RECONNECT_MAX_MS);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.running && this.client === null) void this.connect();
    }, wait);
    this.timer.unref();
  }

  private receive(message: Notification): void {
    if (message.channel !== this.channel || message.payload === undefined) return;
    const decoded = decodePayload(message.payload);
    // Events of this storage's own commits were emitted locally already.
    if (decoded === null || decoded.sender === this.sender || decoded.events.length === 0) return;
    this.emit(decoded.events);
  }

  private async dispose(client: pg.Client | PoolClient, broken: boolean): Promise<void> {
    client.removeAllListeners('notification');
    client.on('error', () => undefined);
    if ('release' in client && typeof client.release === 'function') {
      if (!broken) await client.query(`UNLISTEN ${quoteIdent(this.channel)}`).catch(() => undefined);
      client.release(true);
    } else {
      await (client as pg.Client).end().catch(() => undefined);
    }
  }
}
