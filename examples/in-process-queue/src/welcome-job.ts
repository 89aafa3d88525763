import type { JobDefinition } from 'spool';
import { defineJob } from 'spool';

import type { CompletedLog } from './completed-log.js';
import type { SimulatedMailer, WelcomeEmail } from './welcome-email.js';

/** The name the app enqueues and the server runs. */
export const WELCOME_JOB = 'emails.welcome';

/** The queue welcome-email jobs go to. */
export const WELCOME_QUEUE = 'welcome-emails';

/** What the welcome-email job needs. */
export interface WelcomeJobDependencies {
  mailer: SimulatedMailer;
  completed: CompletedLog;
}

/**
 * Defines `emails.welcome`: the same work as the in-memory path, as a Spool job. The job is stored
 * before the producer gets its answer, so a crash loses nothing: a job that was waiting runs after
 * the restart, and a job that was running is rescued once its lease expires and runs again (at
 * least once; `ctx.id` is the key a real mail provider would use to drop the duplicate).
 */
export function defineWelcomeJob(deps: WelcomeJobDependencies): JobDefinition<WelcomeEmail, { sent: true }> {
  return defineJob<WelcomeEmail, { sent: true }>(
    WELCOME_JOB,
    async (args, ctx) => {
      await deps.mailer.send(args, ctx.signal);
      deps.completed.record('spool', ctx.id);
      ctx.log.info(`welcome email sent to ${args.to}`);
      return { sent: true };
    },
    { queue: WELCOME_QUEUE, attempts: 5, timeout: '1m' },
  );
}
