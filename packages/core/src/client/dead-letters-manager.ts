import { CapabilityMissingError, ConfigError, InvalidArgsError } from '../errors.js';
import { looksLikePayloadReference } from '../files/payloads.js';
import type { JobDefinition } from '../job/definition.js';
import type { Json } from '../job/records.js';
import type { JobState } from '../states/states.js';
import type { Storage } from '../storage/contract.js';
import type { DeadLetterFilter, DeadLetterGroup, DeadLetterRedrive, DeadLettersListResult } from '../storage/dead-letters-contract.js';
import { DEAD_LETTER_REDRIVE_BATCH } from '../storage/dead-letters-contract.js';

/** What the dead-letters manager needs from the client. */
export interface DeadLettersHost {
  storage: Storage;
  init(): Promise<void>;
  /** Arguments as checked JSON within the inline limit (enqueue's check). */
  jsonArgs(args: unknown): Json;
}

/** Which dead letters to redrive: one job (optionally with edited arguments), some ids, or every one matching a filter. */
export type RedriveTarget =
  | { id: string; args?: unknown }
  | { ids: readonly string[] }
  | { filter: DeadLetterFilter };

/** Options of {@link DeadLettersManager.redrive}. */
export interface RedriveOptions {
  /** The reason written in each job's history. Default `'Redriven from the dead letters'`. */
  reason?: string;
}

/** What a redrive did: how many jobs went back to their queue, and which were not dead letters any more. */
export interface RedriveReport {
  redriven: number;
  /** Jobs left as they were: not found (`state: null`), or no longer dead letters (redriven already, deleted, ...). */
  skipped: Array<{ id: string; state: JobState | null }>;
}

/** The default reason of a redrive. */
export const REDRIVE_REASON = 'Redriven from the dead letters';

/**
 * The dead letters (`spool.deadLetters`): failed jobs whose attempts ran out under a definition with
 * `onExhausted: 'dead-letter'`, listed by job name and error and redriven to their queues. A redrive
 * is written in batches of at most {@link DEAD_LETTER_REDRIVE_BATCH} jobs, one commit each, so a
 * redrive of 100,000 never holds one long transaction; each job is moved only while it is still a
 * dead letter, so two redrives at once never run a job twice. See docs/dead-letters.md.
 */
export class DeadLettersManager {
  readonly #host: DeadLettersHost;

  constructor(host: DeadLettersHost) {
    this.#host = host;
  }

  /** Dead letters matching the filter, newest first, a page at a time (`limit` default 50). */
  async list(filter: DeadLetterFilter & { limit?: number; cursor?: string | null } = {}): Promise<DeadLettersListResult> {
    const storage = await this.#ready('Listing dead letters');
    const { limit = 50, ...rest } = filter;
    checkLimit(limit, 'deadLetters.list limit');
    return storage.deadLettersList({ ...rest, limit });
  }

  /** The dead letters counted by job name and error name, the largest groups first (`limit` default 100). */
  async groups(options: { name?: string; limit?: number } = {}): Promise<DeadLetterGroup[]> {
    const storage = await this.#ready('Counting dead letters');
    const limit = options.limit ?? 100;
    checkLimit(limit, 'deadLetters.groups limit');
    return storage.deadLettersGroups({ ...(options.name !== undefined ? { name: options.name } : {}), limit });
  }

  /**
   * Moves dead letters back to their queues as fresh jobs (attempts start over), keeping their
   * history: one job (with `args`, edited arguments replace its own, the originals kept in its
   * history), a selection of ids, or every dead letter matching a filter at the moment the redrive
   * starts (a job dead-lettered again meanwhile is not taken twice).
   */
  async redrive(target: RedriveTarget, options: RedriveOptions = {}): Promise<RedriveReport> {
    const storage = await this.#ready('Redriving dead letters');
    const reason = options.reason ?? REDRIVE_REASON;
    const report: RedriveReport = { redriven: 0, skipped: [] };
    if ('id' in target) {
      await this.#write(storage, [await this.#single(storage, target)], reason, report);
      return report;
    }
    if ('ids' in target) {
      const ids = [...new Set(target.ids)];
      for (let i = 0; i < ids.length; i += DEAD_LETTER_REDRIVE_BATCH) {
        await this.#write(storage, ids.slice(i, i + DEAD_LETTER_REDRIVE_BATCH).map((id) => ({ id })), reason, report);
      }
      return report;
    }
    // The matching set is fixed when the redrive starts: dead-lettered by now, read page by page.
    const startedAt = new Date(await storage.now());
    const to = target.filter.to !== undefined && target.filter.to < startedAt ? target.filter.to : startedAt;
    let cursor: string | null = null;
    do {
      const page: DeadLettersListResult = await storage.deadLettersList({ ...target.filter, to, limit: DEAD_LETTER_REDRIVE_BATCH, cursor });
      if (page.jobs.length > 0) await this.#write(storage, page.jobs.map((job) => ({ id: job.id })), reason, report);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return report;
  }

  /** Throws unless every definition that routes to the dead letters can do so on this storage. */
  assertSupported(definitions: readonly JobDefinition[]): void {
    const routed = definitions.find((definition) => definition.options.onExhausted === 'dead-letter');
    if (routed !== undefined && !this.#host.storage.capabilities.deadLetters) {
      throw new CapabilityMissingError('deadLetters', `the ${this.#host.storage.kind} storage`, `onExhausted: 'dead-letter' of job "${routed.name}"`);
    }
  }

  async #single(storage: Storage, target: { id: string; args?: unknown }): Promise<DeadLetterRedrive> {
    if (target.args === undefined) return { id: target.id };
    // Edited arguments are kept inline, as changeJob keeps them: a by-reference payload is refused.
    if (looksLikePayloadReference(target.args)) throw new InvalidArgsError('args', 'an object shaped like a by-reference payload cannot be given as new arguments');
    const args = this.#host.jsonArgs(target.args);
    const job = await storage.jobGet({ id: target.id });
    if (job !== null && looksLikePayloadReference(job.args)) {
      throw new InvalidArgsError('args', `job ${target.id} keeps its arguments by reference in the file store; they cannot be replaced. Redrive it without args instead`);
    }
    return { id: target.id, args };
  }

  async #write(storage: Storage, redrives: DeadLetterRedrive[], reason: string, report: RedriveReport): Promise<void> {
    const { results } = await storage.deadLettersRedrive({ redrives, reason });
    for (const result of results) {
      if (result.ok) report.redriven++;
      else report.skipped.push({ id: result.id, state: result.previous });
    }
  }

  async #ready(feature: string): Promise<Storage> {
    const { storage } = this.#host;
    if (!storage.capabilities.deadLetters) throw new CapabilityMissingError('deadLetters', `the ${storage.kind} storage`, feature);
    await this.#host.init();
    return storage;
  }
}

function checkLimit(limit: number, path: string): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new ConfigError([{ path, message: `expected an integer from 1 to 10000, got ${JSON.stringify(limit)}` }]);
  }
}
