import type { Spool } from '@spool/core';

import type { Asset } from './assets.js';
import { dashboardAssets } from './assets.js';
import type { ResolvedDashboardOptions } from './dashboard-options.js';
import { ChangeFeed } from './live/change-feed.js';
import type { EventStream } from './live/event-stream.js';
import type { PageContext } from './pages/page-context.js';
import { CsrfGuard } from './security.js';

/** Most job names offered in the name filters and the enqueue form. */
const MAX_JOB_NAMES = 500;
/** Fewest milliseconds between two live updates of the open pages (notifications are gathered meanwhile). */
const LIVE_MIN_GAP_MS = 500;
/** With notifications from every process, the fallback read only heals lost ones: this many poll intervals apart. */
const DISTRIBUTED_FALLBACK_FACTOR = 5;

/** What one dashboard instance holds: the client, its options, its CSRF secret, its assets and its live feed. */
export class DashboardState {
  readonly csrf = new CsrfGuard();
  readonly assets: { script: Asset; style: Asset } = dashboardAssets();
  private feed: ChangeFeed | null = null;
  private streams = 0;
  private readonly open = new Set<EventStream>();
  private closed = false;

  constructor(
    readonly spool: Spool,
    readonly options: ResolvedDashboardOptions,
  ) {}

  /** The context every page renders with (reads the counts for the navigation). */
  async pageContext(base: string, path: string, query: URLSearchParams): Promise<PageContext> {
    await this.spool.init();
    const stats = await this.spool.storage.monitoring.stats();
    const notice = query.get('notice');
    const rest = new URLSearchParams(query);
    rest.delete('notice');
    const search = rest.toString();
    return {
      base,
      csrfToken: this.csrf.token,
      readOnly: this.options.readOnly,
      title: this.options.title,
      pollIntervalMs: this.options.pollInterval,
      scriptUrl: `${base}${this.assets.script.path}`,
      styleUrl: `${base}${this.assets.style.path}`,
      stats,
      notice: notice ? notice.slice(0, 300) : null,
      jobNames: this.spool.jobNames().slice(0, MAX_JOB_NAMES),
      self: `${base}${path}${search ? `?${search}` : ''}`,
    };
  }

  /** The live feed of the open pages (made on first use: the storage is known once the client is initialised). */
  changeFeed(): ChangeFeed {
    const { storage } = this.spool;
    const factor = storage.capabilities.notifications === 'distributed' ? DISTRIBUTED_FALLBACK_FACTOR : 1;
    this.feed ??= new ChangeFeed(storage, { minGapMs: LIVE_MIN_GAP_MS, fallbackMs: this.options.pollInterval * factor, onError: this.options.onError });
    return this.feed;
  }

  /** Counts a live stream in; false when `maxStreams` are open already or the streams were closed. */
  admitStream(): boolean {
    if (this.closed || this.streams >= this.options.maxStreams) return false;
    this.streams++;
    return true;
  }

  /** Whether {@link closeStreams} was called. */
  get streamsClosed(): boolean {
    return this.closed;
  }

  /** Holds an open stream until it ends, so that {@link closeStreams} can end it. */
  holdStream(stream: EventStream): void {
    this.open.add(stream);
    stream.onClose(() => this.open.delete(stream));
  }

  /**
   * Ends every open live stream and admits no new one (pages fall back to polling). A stream stays
   * open for as long as its page does, so an HTTP server's `close()` would otherwise wait for every
   * open tab.
   */
  closeStreams(): void {
    this.closed = true;
    for (const stream of [...this.open]) stream.close();
  }

  /** Counts a live stream out. */
  releaseStream(): void {
    this.streams = Math.max(0, this.streams - 1);
  }

  /** The storage's clock (falls back to the client's when the storage cannot tell). */
  async now(): Promise<number> {
    return this.spool.storage.now();
  }
}
