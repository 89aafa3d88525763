import type { Spool } from '@spool/core';

import type { Asset } from './assets.js';
import { dashboardAssets } from './assets.js';
import type { ResolvedDashboardOptions } from './dashboard-options.js';
import type { PageContext } from './pages/page-context.js';
import { CsrfGuard } from './security.js';

/** What one dashboard instance holds: the client, its options, its CSRF secret and its assets. */
export class DashboardState {
  readonly csrf = new CsrfGuard();
  readonly assets: { script: Asset; style: Asset } = dashboardAssets();

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
      self: `${base}${path}${search ? `?${search}` : ''}`,
    };
  }

  /** The storage's clock (falls back to the client's when the storage cannot tell). */
  async now(): Promise<number> {
    return this.spool.storage.now();
  }
}
