import type { ServerResponse } from 'node:http';

import { HttpError } from './http-error.js';
import { sendHtml } from './send-html.js';
import { sendJson } from './send-json.js';

/** Options of {@link answerError}. */
export interface AnswerErrorOptions {
  /** Answer with a page made by this function instead of JSON (for a browser's request). */
  page?: (status: number, message: string) => string;
  /** That page's Content-Security-Policy. Default: `sendHtml`'s. */
  policy?: string;
}

const INTERNAL_MESSAGE = 'The request failed; see the server log.';

/**
 * Answers an error thrown by a handler: an HttpError with its own status, code and headers; anything
 * else with 500, logged under `where`. A response already under way is cut off instead.
 */
export function answerError(res: ServerResponse, error: unknown, where: string, options: AnswerErrorOptions = {}): void {
  const { page, policy } = options;
  if (error instanceof HttpError) {
    if (page) sendHtml(res, error.status, page(error.status, error.message), { policy, headers: error.headers });
    else sendJson(res, error.status, { error: { code: error.code, message: error.message } }, error.headers);
    return;
  }
  console.error(`${where}: request failed:`, error);
  if (res.headersSent) res.destroy();
  else if (page) sendHtml(res, 500, page(500, INTERNAL_MESSAGE), { policy });
  else sendJson(res, 500, { error: { code: 'internal', message: INTERNAL_MESSAGE } });
}
