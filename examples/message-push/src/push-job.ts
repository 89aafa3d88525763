import type { Duration, JobDefinition } from 'spool';
import { defineJob, unrecoverable } from 'spool';

import type { DeviceDirectory } from './device-directory.js';
import type { SimulatedPushProvider } from './push-provider.js';

/** The name the API enqueues and the server runs. */
export const PUSH_JOB = 'messages.push';

/** The queue push jobs go to. */
export const PUSH_QUEUE = 'push';

/** Arguments of a push job. */
export type PushArgs = { userId: string; text: string };

/** One device reached. */
export type Delivery = { deviceId: string; platform: string; providerMessageId: string };

/** Result of a push job: every device of the user, reached. */
export type PushResult = { userId: string; devices: number; delivered: Delivery[] };

/** What the push job needs. */
export interface PushJobDependencies {
  directory: DeviceDirectory;
  provider: SimulatedPushProvider;
  /**
   * Delay before a failed push is retried. Default `'2s'`: a push is only useful while it is fresh,
   * and a gateway's 503 usually clears within seconds, so the demo retries after a short fixed delay
   * instead of Spool's default curve (which grows to minutes and hours, right for slower systems).
   */
  retryDelay?: Duration;
}

/**
 * Defines `messages.push`: looks up the user's devices and pushes the text to each. A send that
 * fails fails the attempt, and Spool retries it; devices already reached are remembered in a job
 * parameter, so a retry pushes only to the devices still missing (no duplicate notifications).
 */
export function definePushJob(deps: PushJobDependencies): JobDefinition<PushArgs, PushResult> {
  return defineJob<PushArgs, PushResult>(
    PUSH_JOB,
    async (args, ctx) => {
      const devices = deps.directory.devicesOf(args.userId);
      if (!devices) throw unrecoverable(new Error(`No user "${args.userId}" in the device directory`));
      // Only a retry has devices reached before; the first attempt skips the read.
      const delivered = ctx.attempt > 1 ? ((await ctx.getParameter<Delivery[]>('delivered')) ?? []) : [];
      const reached = new Set(delivered.map((d) => d.deviceId));
      const pending = devices.filter((d) => !reached.has(d.id));
      const outcomes = await Promise.allSettled(pending.map((device) => deps.provider.send(device, args.text, ctx.signal)));
      const errors: string[] = [];
      outcomes.forEach((outcome, i) => {
        const device = pending[i]!;
        if (outcome.status === 'fulfilled') {
          delivered.push({ deviceId: device.id, platform: device.platform, providerMessageId: outcome.value });
        } else {
          errors.push(outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason));
        }
      });
      if (errors.length > 0) {
        // Remember who was reached before failing the attempt, for the retry.
        await ctx.setParameter('delivered', delivered);
        ctx.log.warn(`attempt ${ctx.attempt}: ${errors.length} of ${pending.length} sends failed`);
        throw new Error(`${errors.length} of ${devices.length} devices not reached: ${errors.join('; ')}`);
      }
      ctx.log.info(`pushed to ${devices.length} device(s) of ${args.userId}`);
      return { userId: args.userId, devices: devices.length, delivered };
    },
    { queue: PUSH_QUEUE, attempts: 10, backoff: { type: 'fixed', delay: deps.retryDelay ?? '2s' }, timeout: '30s' },
  );
}
