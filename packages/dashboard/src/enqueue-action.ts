import type { Json } from '@spool/core';
import { SpoolError } from '@spool/core';

import type { DashboardState } from './dashboard-state.js';
import type { EnqueueFormData } from './pages/enqueue-page.js';

/** Longest job name or queue name the form accepts. */
const MAX_NAME = 200;

/** The enqueue options a form can set. */
export interface EnqueueFormOptions {
  queue?: string;
  priority?: number;
  delay?: string;
  attempts?: number;
  timeout?: string | null;
}

/** What an enqueue form asked for, checked: the job to create, or why it cannot be. */
export type EnqueueRequest =
  | { ok: true; name: string; args: Json; options: EnqueueFormOptions }
  | { ok: false; error: string };

/** Checks an enqueue form: a name, arguments that parse as JSON, a whole priority, a delay, attempts and a timeout if any. */
export function checkEnqueueForm(form: EnqueueFormData): EnqueueRequest {
  const name = form.name.trim();
  if (name === '') return { ok: false, error: 'Give the job’s name, e.g. emails.send.' };
  if (name.length > MAX_NAME) return { ok: false, error: `The job name is ${name.length} characters long; at most ${MAX_NAME}.` };
  let args: Json;
  try {
    args = JSON.parse(form.args.trim() === '' ? '{}' : form.args) as Json;
  } catch (error) {
    return { ok: false, error: `The arguments are not valid JSON: ${error instanceof Error ? error.message : String(error)}. Write them as JSON, e.g. {"to": "ada@example.com"}.` };
  }
  const options: EnqueueFormOptions = {};
  const queue = form.queue.trim();
  if (queue !== '') {
    if (queue.length > MAX_NAME) return { ok: false, error: `The queue name is ${queue.length} characters long; at most ${MAX_NAME}.` };
    options.queue = queue;
  }
  const priority = form.priority.trim();
  if (priority !== '') {
    if (!/^-?\d{1,9}$/.test(priority)) return { ok: false, error: `Expected the priority as a whole number, got ${JSON.stringify(priority.slice(0, 40))}.` };
    options.priority = Number(priority);
  }
  const delay = form.delay.trim();
  if (delay !== '') options.delay = delay;
  const attempts = form.attempts.trim();
  if (attempts !== '') {
    if (!/^\d{1,6}$/.test(attempts) || Number(attempts) < 1) return { ok: false, error: `Expected the attempts as a whole number of at least 1, got ${JSON.stringify(attempts.slice(0, 40))}.` };
    options.attempts = Number(attempts);
  }
  // The client checks the duration itself, and answers a bad one with a typed error shown on the form.
  const timeout = form.timeout.trim();
  if (timeout !== '') options.timeout = timeout.toLowerCase() === 'none' ? null : timeout;
  return { ok: true, name, args, options };
}

/**
 * Enqueues the checked request through the client, as the application would: the client's own
 * checks (argument size, options) answer with their typed errors, shown on the form.
 */
export async function enqueueFromForm(state: DashboardState, request: Extract<EnqueueRequest, { ok: true }>): Promise<{ id: string } | { error: string }> {
  try {
    const id = await state.spool.enqueue(request.name, request.args, request.options);
    return { id };
  } catch (error) {
    if (error instanceof SpoolError) return { error: `${error.message} (${error.code})` };
    throw error;
  }
}
