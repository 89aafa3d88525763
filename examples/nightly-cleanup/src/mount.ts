import type { IncomingMessage, ServerResponse } from 'node:http';

import type { ExampleMount } from '@spool-examples/web-kit';
import { HttpError, allow, answerError, sendHtml, sendJson, sendStylesheet } from '@spool-examples/web-kit';
import type { Spool } from 'spool';

import { MAINTENANCE_QUEUE, NIGHTLY_CLEANUP_ID, defineCleanupJob } from './cleanup-job.js';
import type { CleanupSettings } from './cleanup-settings.js';
import { resolveCleanupSettings } from './cleanup-settings.js';
import type { CleanupStatus } from './cleanup-status.js';
import { readCleanupStatus } from './cleanup-status.js';
import { statusPage } from './page.js';
import { PAGE_STYLESHEET } from './page-style.js';

/** Options of {@link mountNightlyCleanup}. */
export interface NightlyCleanupOptions {
  /** The path the host mounts the example under, e.g. `'/nightly-cleanup'`. Default `''`. */
  basePath?: string;
  /** The folders to clean, e.g. finished exports and uploads: one or more. Required. */
  folders: readonly string[];
  /** IANA time zone of the schedule. Default `'Europe/Berlin'`. */
  timezone?: string;
  /** Cron expression of the schedule. Default `'0 3 * * *'` (every night at 03:00). */
  cron?: string;
  /** Files older than this many days are deleted. Default 7. */
  maxAgeDays?: number;
  /** Where the host serves the Spool dashboard, for links. Default `'/spool'`; null for no links. */
  dashboardPath?: string | null;
  /** The current time in ms, by which file ages are measured. Default `Date.now`; a host passes its Spool's clock. */
  now?: () => number;
}

/** The mounted example, with its settings and status for the host and tests. */
export interface NightlyCleanupMount extends ExampleMount {
  readonly settings: CleanupSettings;
  status(): Promise<CleanupStatus>;
}

/**
 * Mounts the nightly cleanup on a Spool: defines the `exports.cleanup` job and registers the
 * recurring job `exports.nightly-cleanup` on its schedule. Registering again at every start is how
 * it is meant to be used: the stored next run is kept while the schedule is unchanged, so a restart
 * neither skips nor repeats a night, and a pause made in the dashboard stays. Requests (URLs
 * relative to the mount):
 *
 * - `GET /`: a page with the schedule, the next run, the last runs and a link to the dashboard;
 *   `GET /style.css`: its stylesheet.
 * - `GET /api/status`: the same as JSON.
 */
export async function mountNightlyCleanup(spool: Spool, options: NightlyCleanupOptions): Promise<NightlyCleanupMount> {
  const settings = resolveCleanupSettings({ folders: options.folders, maxAgeDays: options.maxAgeDays, cron: options.cron, timezone: options.timezone });
  const job = defineCleanupJob({ folders: settings.folders, maxAgeDays: settings.maxAgeDays, now: options.now });
  spool.define(job);
  // Nights missed while no server ran make one cleanup, not one per night: the last one covers them all.
  await spool.recurring.addOrUpdate(NIGHTLY_CLEANUP_ID, job, {}, { cron: settings.cron, timezone: settings.timezone, queue: MAINTENANCE_QUEUE, misfire: 'once' });
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const dashboardPath = options.dashboardPath === undefined ? '/spool' : options.dashboardPath;
  const status = () => readCleanupStatus(spool, settings);

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') || '/';
    if (path === '/') {
      allow(req, ['GET']);
      return sendHtml(res, 200, statusPage(await status(), { basePath, dashboardPath }));
    }
    if (path === '/style.css') {
      allow(req, ['GET']);
      return sendStylesheet(res, PAGE_STYLESHEET);
    }
    if (path === '/api/status') {
      allow(req, ['GET']);
      return sendJson(res, 200, { ...(await status()), dashboard: dashboardPath ? `${dashboardPath}/recurring` : null });
    }
    throw new HttpError(404, 'not_found', `No route for ${req.method} ${path}.`);
  };

  return {
    queues: [MAINTENANCE_QUEUE],
    settings,
    status,
    handle(req, res) {
      return route(req, res).catch((error: unknown) => answerError(res, error, 'nightly-cleanup'));
    },
    // Nothing to release: the recurring job stays in storage and fires whenever a server runs.
    close: () => Promise.resolve(),
  };
}
