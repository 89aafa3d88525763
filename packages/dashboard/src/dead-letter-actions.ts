import type { DeadLetterFilter, NewAuditEntry } from '@spool/core';
import { InvalidArgsError } from '@spool/core';

import type { DashboardState } from './dashboard-state.js';
import type { Form } from './http-io.js';
import { field } from './http-io.js';
import type { PageContext } from './pages/page-context.js';
import { deadLetterEditPage } from './pages/dead-letters-page.js';
import type { SafeHtml } from './html.js';

/** The reason the dashboard writes in a redriven job's history. */
const REASON = 'Redriven from the dashboard';

/** The dead-letter filter of a query or a form (`name`, `error`, `message`). */
export function deadLetterFilterOf(get: (key: string) => string | null | undefined): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  const name = get('name')?.trim();
  const errorName = get('error')?.trim();
  const message = get('message');
  if (name) filter.name = name;
  if (errorName) filter.errorName = errorName;
  if (message) filter.message = message;
  return filter;
}

/** What a dead-letter action answers: where to go with a notice, or a page to show again (a refused edit). */
export type DeadLetterOutcome = { notice: string; audit: Omit<NewAuditEntry, 'actor'> } | { page: SafeHtml; status: number; audit: Omit<NewAuditEntry, 'actor'> };

const plural = (n: number, word: string): string => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/**
 * Redrives dead letters from a dashboard form, through the client: a selection (`redrive`), every
 * one matching a filter (`redrive-matching`), or one with edited arguments (`redrive-edited`,
 * checked as JSON, then as enqueue checks them). Null for an unknown action.
 */
export async function deadLetterAction(state: DashboardState, form: Form, ctx: () => Promise<PageContext>, maxSelection: number): Promise<DeadLetterOutcome | null> {
  const { spool } = state;
  const action = field(form, 'action');
  const told = (report: { redriven: number; skipped: unknown[] }): string =>
    `Redrive: ${plural(report.redriven, 'job')} back in their queues${report.skipped.length > 0 ? `, ${report.skipped.length} skipped (no longer dead letters)` : ''}.`;
  if (action === 'redrive') {
    const ids = [...new Set(form.get('id') ?? [])].slice(0, maxSelection);
    if (ids.length === 0) return { notice: 'Select at least one dead letter.', audit: { action: 'dead-letters.redrive', subject: 'jobs', targets: [], count: 0, outcome: 'refused', message: 'Nothing selected.' } };
    const report = await spool.deadLetters.redrive({ ids }, { reason: REASON });
    const notice = told(report);
    return { notice, audit: { action: 'dead-letters.redrive', subject: 'jobs', targets: ids, count: ids.length, outcome: report.redriven > 0 ? 'done' : 'refused', message: notice } };
  }
  if (action === 'redrive-matching') {
    const filter = deadLetterFilterOf((k) => field(form, k));
    const report = await spool.deadLetters.redrive({ filter }, { reason: REASON });
    const notice = told(report);
    const targets = Object.entries(filter).map(([k, v]) => `${k}=${String(v)}`);
    return { notice, audit: { action: 'dead-letters.redrive-matching', subject: 'jobs', targets, count: report.redriven + report.skipped.length, outcome: report.redriven > 0 ? 'done' : 'refused', message: notice } };
  }
  if (action === 'redrive-edited') {
    const id = field(form, 'id') ?? '';
    const text = field(form, 'args') ?? '';
    const job = /^[0-9a-fA-F-]{1,64}$/.test(id) ? await spool.storage.jobGet({ id }) : null;
    const refuse = async (message: string): Promise<DeadLetterOutcome> => {
      const audit = { action: 'dead-letters.redrive-edited', subject: 'jobs' as const, targets: [id], count: 1, outcome: 'refused' as const, message };
      if (job === null) return { notice: message, audit };
      return { page: deadLetterEditPage(await ctx(), job, text, message), status: 400, audit };
    };
    if (job === null) return refuse(`No job ${id}.`);
    let args: unknown;
    try {
      args = JSON.parse(text);
    } catch (error) {
      return refuse(`The arguments are not valid JSON: ${error instanceof Error ? error.message : String(error)}. Nothing was changed.`);
    }
    let report;
    try {
      report = await spool.deadLetters.redrive({ id, args }, { reason: REASON });
    } catch (error) {
      if (error instanceof InvalidArgsError) return refuse(`${error.message} Nothing was changed.`);
      throw error;
    }
    const notice = report.redriven === 1 ? `Redrove job ${id} with edited arguments; its history keeps the original ones.` : `Job ${id} is no longer a dead letter: nothing was changed.`;
    return { notice, audit: { action: 'dead-letters.redrive-edited', subject: 'jobs', targets: [id], count: 1, outcome: report.redriven === 1 ? 'done' : 'refused', message: notice } };
  }
  return null;
}
