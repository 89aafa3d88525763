import { CapabilityMissingError } from '../errors.js';
import type { JobDefinition } from '../job/definition.js';
import type { Limits, LimitScope, LimitsOption } from '../limits/limits.js';
import { LIMIT_KEY_PARAMETER, checkScope, resolveLimits, sameLimits, scopeId } from '../limits/limits.js';
import { gateRulesOf, limitsInForce } from '../limits/admission.js';
import { waitReasonOf } from '../limits/wait-reason.js';
import type { LimitRecord, Storage } from '../storage/contract.js';

/** A scope's limits as an operator sees them: both layers, and which one is in force. */
export interface LimitView extends LimitRecord {
  /** The limits in force: the operator's where set, else the code's. */
  inForce: Limits;
  /** Which layer is in force. */
  source: 'code' | 'operator';
}

/** Options of {@link LimitsManager.set}. */
export interface SetLimitsOptions {
  /** Who sets them (a user name, `cli`), shown beside them. */
  setBy?: string;
}

/**
 * Flow control at run time: limits of a queue or a job name, stored, so that they hold across every
 * server and survive restarts and redeploys. A definition's `limits` are the code's layer; limits
 * set here are an operator's and win until cleared.
 */
export class LimitsManager {
  readonly #storage: Storage;
  readonly #init: () => Promise<void>;

  constructor(deps: { storage: Storage; init: () => Promise<void> }) {
    this.#storage = deps.storage;
    this.#init = deps.init;
  }

  /** Sets an operator's limits of a queue (`{ queue: 'mail' }`) or a job name (`{ job: 'documents.export' }`). */
  async set(scope: LimitScope, limits: LimitsOption, options: SetLimitsOptions = {}): Promise<void> {
    const checked = checkScope(scope, 'limits scope');
    const resolved = resolveLimits(limits, `limits of ${scopeId(checked)}`, false, 'queue' in checked);
    await this.#ready('Setting limits');
    await this.#storage.limitsSet({ scope: checked, layer: 'operator', limits: resolved, setBy: options.setBy ?? null });
  }

  /** Clears an operator's limits of a scope: the code's (if any) are in force again. */
  async clear(scope: LimitScope): Promise<void> {
    const checked = checkScope(scope, 'limits scope');
    await this.#ready('Clearing limits');
    await this.#storage.limitsSet({ scope: checked, layer: 'operator', limits: null, setBy: null });
  }

  /** Every scope with limits, by scope id. */
  async list(): Promise<LimitView[]> {
    await this.#init();
    if (!this.#storage.capabilities.flowControl) return [];
    const records = await this.#storage.limitsList();
    return records.flatMap((r) => {
      const inForce = r.operator?.limits ?? r.code;
      return inForce ? [{ ...r, inForce, source: r.operator ? ('operator' as const) : ('code' as const) }] : [];
    });
  }

  /**
   * Why job `id` waits, read from storage: the first limit that holds it now ("waiting for a slot of
   * key 42 of job documents.export: 1 of 1 running", "job payments.charge is paused by a rate limit
   * until …", "rate limit of queue mail (50 per 1s) is used up; next window at …"). Null when the
   * job is not enqueued, does not exist, or no limit holds it.
   */
  async waitReason(id: string): Promise<string | null> {
    await this.#init();
    if (!this.#storage.capabilities.flowControl) return null;
    const job = await this.#storage.jobGet({ id });
    if (!job || job.state !== 'enqueued') return null;
    const limits = limitsInForce(await this.#storage.limitsList());
    const key = job.parameters[LIMIT_KEY_PARAMETER];
    const limited = { id: job.id, queue: job.queue, name: job.name, limitKey: typeof key === 'string' ? key : null };
    const gates = gateRulesOf(limits, limited).map((r) => r.gate);
    const readings = await this.#storage.limitsGates({ gates });
    return waitReasonOf(limited, limits, new Map(readings.map((r) => [r.gate, r.state])), await this.#storage.now());
  }

  /** One scope's limits, or null when it has none. */
  async get(scope: LimitScope): Promise<LimitView | null> {
    const id = scopeId(checkScope(scope, 'limits scope'));
    return (await this.list()).find((v) => scopeId(v.scope) === id) ?? null;
  }

  /**
   * Stores the code's layer for these definitions (what a server does when it starts): each one's
   * limits, or none where a definition no longer sets any. Writes only what changed.
   */
  async syncCode(definitions: readonly JobDefinition[]): Promise<void> {
    const limited = definitions.filter((d) => d.options.limits !== null);
    if (!this.#storage.capabilities.flowControl) {
      if (limited.length === 0) return;
      throw new CapabilityMissingError('flowControl', `the ${this.#storage.kind} storage`, `The limits of job "${limited[0]!.name}"`);
    }
    await this.#init();
    const stored = new Map((await this.#storage.limitsList()).map((r) => [scopeId(r.scope), r.code]));
    for (const definition of definitions) {
      const scope = { job: definition.name };
      const current = stored.get(scopeId(scope)) ?? null;
      if (sameLimits(current, definition.options.limits)) continue;
      await this.#storage.limitsSet({ scope, layer: 'code', limits: definition.options.limits, setBy: null });
    }
  }

  /**
   * Stores the code's layer of queues' limits (Spool's `queues` option: their bounds), for the
   * queues given. Writes only what changed; a queue whose options set no bound clears the code's layer.
   */
  async syncQueues(queues: ReadonlyMap<string, Limits | null>): Promise<void> {
    if (queues.size === 0) return;
    const bounded = [...queues.entries()].find(([, limits]) => limits !== null);
    if (!this.#storage.capabilities.flowControl) {
      if (!bounded) return;
      throw new CapabilityMissingError('flowControl', `the ${this.#storage.kind} storage`, `The bound of queue "${bounded[0]}"`);
    }
    const stored = new Map((await this.#storage.limitsList()).map((r) => [scopeId(r.scope), r.code]));
    for (const [queue, limits] of queues) {
      const scope = { queue };
      if (sameLimits(stored.get(scopeId(scope)) ?? null, limits)) continue;
      await this.#storage.limitsSet({ scope, layer: 'code', limits, setBy: null });
    }
  }

  async #ready(feature: string): Promise<void> {
    if (!this.#storage.capabilities.flowControl) {
      throw new CapabilityMissingError('flowControl', `the ${this.#storage.kind} storage`, feature);
    }
    await this.#init();
  }
}
