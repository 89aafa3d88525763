import { HttpError } from '@spool-examples/web-kit';

import type { PushArgs } from './push-job.js';

/** Longest message text accepted. */
export const MAX_TEXT_LENGTH = 1000;

/** Checks a message body: `{ userId: non-empty string, text: 1 to 1000 characters }`, nothing else. */
export function parseMessage(body: unknown): PushArgs {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'bad_request', 'Expected a JSON object such as {"userId":"ann","text":"Hello"}.');
  }
  const { userId, text, ...rest } = body as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof userId !== 'string' || userId.trim() === '' || userId.length > 100) {
    problems.push(`userId: expected a non-empty string of at most 100 characters, got ${JSON.stringify(userId) ?? 'nothing'}`);
  }
  if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_TEXT_LENGTH) {
    problems.push(`text: expected a non-empty string of at most ${MAX_TEXT_LENGTH} characters, got ${typeof text === 'string' ? `${text.length} characters` : (JSON.stringify(text) ?? 'nothing')}`);
  }
  const unknown = Object.keys(rest);
  if (unknown.length > 0) problems.push(`unknown field(s): ${unknown.join(', ')}`);
  if (problems.length > 0) throw new HttpError(400, 'bad_request', problems.join('; '));
  return { userId: userId as string, text: text as string };
}
