import type { IncomingMessage } from 'node:http';

import { HttpError } from './http-error.js';

/** Refuses a request whose method is not one of `methods`: HttpError 405 with the `Allow` header. */
export function allow(req: IncomingMessage, methods: readonly string[]): void {
  if (!methods.includes(req.method ?? 'GET')) {
    throw new HttpError(405, 'method_not_allowed', `Use ${methods.join(' or ')} here.`, { allow: methods.join(', ') });
  }
}
