import type { FetchedJob } from '../job/records.js';
import type { ProcessContext } from './background-process.js';
import { BackgroundProcess } from './background-process.js';
import type { LimitsInForce } from '../limits/admission.js';
import { limitsInForce, nextWindowOpening } from '../limits/admission.js';
import { handoverScopes } from '../limits/handover.js';

/** What the fetch loop needs from its server. */
export interface FetchLoopHost {
  readonly serverId: string;
  readonly queues: readonly string[];
  readonly names: readonly string[];
  readonly leaseMs: number;
  readonly pollMs: number;
  /** Jobs the server may hold now: its concurrency plus what it wants to claim ahead. */
  capacity(): number;
  /** Jobs held now: running and claimed ahead. */
  heldCount(): number;
  /** Jobs claimed ahead and not started yet. */
  bufferedCount(): number;
  /** Slots that would start a job now: concurrency less the running and the buffered. */
  freeSlots(): number;
  readonly concurrency: number;
  /** Takes fetched jobs: starts as many as slots allow, keeps the rest (does not wait for them). */
  accept(jobs: FetchedJob[]): void;
}

/** Idle wait when all slots are busy: a freed slot wakes the loop long before. */
const FULL_WAIT_MS = 60_000;

/** How often the windows of stored rate limits are read again. */
const RATE_WINDOWS_REFRESH_MS = 10_000;

/**
 * Fetches as many jobs as the server can hold (free slots, plus a buffer when jobs are short) in one
 * storage call. Wakes when a slot frees or the storage says jobs were enqueued; polls as the
 * correctness path.
 */
export class FetchLoop extends BackgroundProcess {
  /** The limits in force, read every RATE_WINDOWS_REFRESH_MS: when their next rate window opens. */
  private rateLimits: LimitsInForce = new Map();
  private rateLimitsReadAt = Number.NEGATIVE_INFINITY;
  /**
   * The last claim returned fewer jobs than asked: the storage had no more to give then (the queues
   * were empty, or the rest is held back by limits). A slot of this server freeing changes neither,
   * so it does not start a claim; a recorded outcome (a place of a limit freed), an enqueue or the
   * poll does.
   */
  private cameShort = false;
  /** The last round found no room to claim into: a written outcome may make room (the completer's backlog shrinks). */
  private waitingForRoom = false;
  private claims = 0;
  /** What the claim under way asked for (0 between claims): room a hand-over must not offer too. */
  private asking = 0;
  /** Whether this server's queues and names have limits whose places may be handed over (decision 53). */
  private handoverInReach = false;

  constructor(
    context: ProcessContext,
    private readonly host: FetchLoopHost,
  ) {
    super('fetch', context);
  }

  protected async tick(): Promise<number> {
    const capacity = this.host.capacity();
    const free = capacity - this.host.heldCount();
    // With jobs still buffered, wait until half the capacity is free: fewer, larger claims.
    this.waitingForRoom = free <= 0 || (this.host.bufferedCount() > 0 && free < Math.ceil(capacity / 2));
    if (this.waitingForRoom) return FULL_WAIT_MS;
    if (this.host.names.length === 0) return this.host.pollMs;
    this.claims++;
    this.asking = free;
    const jobs = await this.storage.jobsFetch({
      queues: this.host.queues,
      names: this.host.names,
      // Jobs with limits are claimed ahead like any others (decision 34): a buffered job holds its
      // gates' places, which is exact because a claim admits per key no more than the key's free
      // places, and the buffer holds only what the server starts within its short horizon.
      limit: free,
      serverId: this.host.serverId,
      leaseMs: this.host.leaseMs,
    }).finally(() => (this.asking = 0));
    this.host.accept(jobs);
    this.cameShort = jobs.length < free;
    // A full batch suggests more are waiting: fetch again at once.
    if (jobs.length === free) return 0;
    return Math.min(this.host.pollMs, await this.untilNextRateWindow());
  }

  /** A slot of this server freed: claim again, unless the last claim found no more jobs to give. */
  slotFreed(): void {
    if (!this.cameShort) this.wake();
  }

  /** Claims started so far: the completer notes it as it sends a write. */
  get claimsStarted(): number {
    return this.claims;
  }

  /**
   * The completer wrote a batch of outcomes; `sent` is {@link claimsStarted} when it sent the write.
   * It wakes the loop unless a claim has started since: a place of a limit that the write freed is
   * announced by the storage's own event (`jobs-enqueued` for the job's queue, which the conformance
   * suite's events hold every storage to) and that event started the claim, or will start one if
   * the claim began before the write committed; a second wake for the same write only started a
   * claim that found nothing (decision 51). It always wakes the loop when the loop waits for room,
   * or when the storage announces nothing.
   */
  outcomesWritten(sent: number, handedOver = false): void {
    // A write that handed jobs over passed the places it could; a place it freed is announced by
    // the storage's event as ever. A wake of its own would start a claim that finds nothing.
    if (handedOver && !this.waitingForRoom && this.storage.capabilities.notifications !== 'none') return;
    if (this.waitingForRoom || this.claims === sent || this.storage.capabilities.notifications === 'none') this.wake();
  }

  /** Room of a claim under way, which a hand-over must leave to it. */
  get claimAsking(): number {
    return this.asking;
  }

  /**
   * Whether a completion write may ask for a hand-over now: the storage can, this server's scopes
   * have per-key limits whose places may pass (as last read), and the last claim came short, so
   * that the server's room is not what holds jobs back. When room is short, claims share it out key
   * by key instead, which a hand-over (a key's place to the same key) would not.
   */
  mayHandOver(): boolean {
    return this.handoverInReach && this.cameShort && !this.stopped && this.storage.capabilities.handover;
  }

  /**
   * How long until the next window of a rate limit opens: a claim held back by a rate finds jobs
   * again then, so a server waits no longer (freed concurrency wakes it through the storage's event).
   */
  private async untilNextRateWindow(): Promise<number> {
    if (!this.storage.capabilities.flowControl) return Number.POSITIVE_INFINITY;
    const now = this.runtime.clock.now();
    if (now - this.rateLimitsReadAt >= RATE_WINDOWS_REFRESH_MS) {
      this.rateLimitsReadAt = now;
      this.rateLimits = limitsInForce(await this.storage.limitsList());
      this.handoverInReach = handoverScopes(this.rateLimits, this.host.queues, this.host.names) !== null;
    }
    const next = nextWindowOpening(this.rateLimits, now);
    // A few milliseconds past the boundary, so that the storage's clock has crossed it too.
    return next === null ? Number.POSITIVE_INFINITY : next - now + 5;
  }
}
