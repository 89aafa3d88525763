import type { IncomingMessage, ServerResponse } from 'node:http';

import { HttpError, allow, readFormBody, sendHtml, sendStylesheet } from '@spool-examples/web-kit';
import { isUuid } from 'spool';

import type { AppContext } from './app.js';
import { parseMessage } from './message-args.js';
import { escapeHtml, homePage, jobPage, STYLESHEET } from './pages.js';
import { PUSH_JOB } from './push-job.js';

/** Most messages one burst form sends. */
export const MAX_FORM_BURST = 1000;

/**
 * The browser pages of the demo: the home page with its two forms, and a job's page. Forms post
 * plain `application/x-www-form-urlencoded` and are answered with a redirect (post/redirect/get),
 * so the pages need no script. Returns false for a path that is not a page.
 */
export async function handlePage(app: AppContext, path: string, url: URL, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  try {
    if (path === '/') {
      allow(req, ['GET']);
      const count = Number(url.searchParams.get('burst'));
      const ms = Number(url.searchParams.get('ms'));
      const burst = Number.isInteger(count) && count > 0 && Number.isFinite(ms) ? { count, ms } : null;
      sendHtml(res, 200, homePage({ basePath: app.basePath, users: app.directory.users(), burst, dashboardPath: app.dashboardPath }));
      return true;
    }
    if (path === '/style.css') {
      allow(req, ['GET']);
      sendStylesheet(res, STYLESHEET);
      return true;
    }
    if (path === '/messages') {
      allow(req, ['POST']);
      const form = await readFormBody(req);
      const args = parseMessage({ userId: form.get('userId') ?? undefined, text: form.get('text') ?? undefined });
      if (!app.directory.devicesOf(args.userId)) throw new HttpError(404, 'unknown_user', `No user "${args.userId}".`);
      const id = await app.spool.enqueue(PUSH_JOB, args);
      redirect(res, `${app.basePath}/jobs/${id}`);
      return true;
    }
    if (path === '/bursts') {
      allow(req, ['POST']);
      const count = Number((await readFormBody(req)).get('count'));
      if (!Number.isInteger(count) || count < 1 || count > MAX_FORM_BURST) {
        throw new HttpError(400, 'bad_request', `A burst is 1 to ${MAX_FORM_BURST} messages.`);
      }
      const users = app.directory.users();
      const started = performance.now();
      // One storage round trip for the whole burst.
      await app.spool.enqueueMany(
        PUSH_JOB,
        Array.from({ length: count }, (_, i) => ({ userId: users[Math.floor(Math.random() * users.length)]!.userId, text: `Burst message ${i + 1} of ${count}` })),
      );
      redirect(res, `${app.basePath}/?burst=${count}&ms=${Math.round(performance.now() - started)}`);
      return true;
    }
    const jobMatch = /^\/jobs\/([^/]+)$/.exec(path);
    if (jobMatch) {
      allow(req, ['GET']);
      const id = decodeURIComponent(jobMatch[1]!);
      const job = isUuid(id) ? await app.spool.getJob(id) : null;
      if (!job || job.name !== PUSH_JOB) throw new HttpError(404, 'not_found', `No push job ${id} (it may have expired).`);
      sendHtml(res, 200, jobPage(app.basePath, job, app.dashboardPath));
      return true;
    }
    return false;
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    sendHtml(res, error.status, `<!doctype html><meta charset="utf-8"><title>${escapeHtml(error.message)}</title><p>${escapeHtml(error.message)}</p><p><a href="${escapeHtml(app.basePath)}/">Back</a></p>`, { headers: error.headers });
    return true;
  }
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location }).end();
}
