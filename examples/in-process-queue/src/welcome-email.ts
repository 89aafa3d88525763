import { setTimeout as sleep } from 'node:timers/promises';

/** A welcome email to send to a user who just signed up. */
export type WelcomeEmail = { to: string };

/**
 * A stand-in for a mail provider: sending takes `latencyMs` of waiting on the network, the kind of
 * slow call an HTTP handler should not make its user wait for.
 */
export class SimulatedMailer {
  /** @param latencyMs How long one send takes. */
  constructor(readonly latencyMs: number) {
    if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new RangeError(`latencyMs must be 0 or more, got ${latencyMs}`);
  }

  /** Sends a welcome email; resolves once the provider has taken it. */
  async send(email: WelcomeEmail, signal?: AbortSignal): Promise<void> {
    if (!email.to.includes('@')) throw new Error(`not an email address: ${JSON.stringify(email.to)}`);
    await sleep(this.latencyMs, undefined, { signal });
  }
}
