import type { LimitsInForce } from './admission.js';

/** Which scopes {@link scopesOfClaim} answers. */
export interface ScopesOfClaimOptions {
  /**
   * Only the scopes with a gate of their own (a concurrency or a rate of the scope itself): what a
   * claim reads (and locks) first. A scope with per-key limits only has no gate of its own.
   */
  ownGate?: boolean;
}

/**
 * The scopes with limits that a claim of `queue` (for the job names `names`, or any name when null)
 * may meet, sorted: its queue's, and each limited name's. A storage that serialises the claimers of
 * a scope on its row (MySQL) locks all of them first; the others read (and lock) those with a gate of
 * their own (`ownGate`).
 */
export function scopesOfClaim(limits: LimitsInForce, queue: string, names: readonly string[] | null, options: ScopesOfClaimOptions = {}): string[] {
  const scopes: string[] = [];
  for (const [scope, l] of limits) {
    if (options.ownGate && l.concurrency === null && l.rate === null) continue;
    if (scope === `queue:${queue}` || (scope.startsWith('job:') && (names === null || names.includes(scope.slice(4))))) scopes.push(scope);
  }
  return scopes.sort();
}

/**
 * The names of a claim whose limits go per key (their own, or their queue's): a claim reads their
 * jobs with a key key by key (a few first jobs of each key with room, through an index on the key),
 * and their jobs without a key apart, so that it never passes over a full key's backlog row by row.
 */
export function keyedNames(limits: LimitsInForce, queue: string, names: readonly string[]): string[] {
  const queueKeyed = limits.get(`queue:${queue}`)?.perKey != null;
  return names.filter((name) => queueKeyed || limits.get(`job:${name}`)?.perKey != null);
}

/**
 * How many of one key's first jobs a claim reads (at most `want`): as many as the key may start at
 * most at once (its per-key concurrency, else its rate's limit), the most of its name's and its
 * queue's. A claim can admit no more of one key than that, so reading more would only pass over
 * them. Under `onLocked: 'skip'` every job a claim reaches past the key's places is skipped, so it
 * reads up to `want`.
 */
export function keyHeadRows(limits: LimitsInForce, queue: string, name: string, want: number): number {
  const counts = [limits.get(`job:${name}`)?.perKey, limits.get(`queue:${queue}`)?.perKey].flatMap((p) => (p ? [p.onLocked === 'skip' ? want : (p.concurrency ?? p.rate?.limit ?? 1)] : []));
  return Math.min(want, Math.max(1, ...counts));
}

/**
 * The scopes whose per-key limits the jobs of `keyed` names (from {@link keyedNames}) meet: their
 * names' and their queue's. A claim reads what these scopes' keys hold before it reads jobs key by
 * key, so that it passes over the full keys unread.
 */
export function keyedScopes(limits: LimitsInForce, queue: string, keyed: readonly string[]): string[] {
  if (keyed.length === 0) return [];
  const scopes = keyed.filter((name) => limits.get(`job:${name}`)?.perKey != null).map((name) => `job:${name}`);
  if (limits.get(`queue:${queue}`)?.perKey != null) scopes.push(`queue:${queue}`);
  return scopes.sort();
}
