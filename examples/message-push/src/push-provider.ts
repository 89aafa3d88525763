import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Device } from './device-directory.js';

/** Options of the simulated push provider. */
export interface PushProviderOptions {
  /** Share of sends that fail, 0 to 1. Default 0.2. */
  failureRate?: number;
  /** Shortest simulated network latency. Default 10 ms. */
  minLatencyMs?: number;
  /** Longest simulated network latency. Default 80 ms. */
  maxLatencyMs?: number;
  /** Source of randomness (for tests). Default Math.random. */
  random?: () => number;
}

/** A send the provider refused: the kind of transient failure a real gateway returns (503, timeout). */
export class PushDeliveryError extends Error {
  constructor(
    readonly device: Device,
    message: string,
  ) {
    super(message);
    this.name = 'PushDeliveryError';
  }
}

/**
 * A stand-in for a push gateway (APNs, FCM, Web Push): every send takes 10 to 80 ms and fails at
 * random with the configured rate, so that retries show in the jobs' history.
 */
export class SimulatedPushProvider {
  readonly failureRate: number;
  private readonly minLatencyMs: number;
  private readonly maxLatencyMs: number;
  private readonly random: () => number;
  /** Sends that reached a device, for the demo's log and tests. */
  delivered = 0;
  /** Sends refused (simulated gateway errors). */
  refused = 0;

  constructor(options: PushProviderOptions = {}) {
    this.failureRate = options.failureRate ?? 0.2;
    if (!(this.failureRate >= 0 && this.failureRate <= 1)) {
      throw new RangeError(`failureRate must be between 0 and 1, got ${options.failureRate}`);
    }
    this.minLatencyMs = options.minLatencyMs ?? 10;
    this.maxLatencyMs = options.maxLatencyMs ?? 80;
    this.random = options.random ?? Math.random;
  }

  /** Pushes a text to a device; resolves to the provider's message id, or rejects like a gateway would. */
  async send(device: Device, _text: string, signal?: AbortSignal): Promise<string> {
    const latency = this.minLatencyMs + this.random() * (this.maxLatencyMs - this.minLatencyMs);
    await sleep(latency, undefined, { signal });
    if (this.random() < this.failureRate) {
      this.refused += 1;
      throw new PushDeliveryError(device, `${device.platform} gateway unavailable for ${device.id} (simulated 503)`);
    }
    this.delivered += 1;
    return `pm_${randomUUID().slice(0, 8)}`;
  }
}
