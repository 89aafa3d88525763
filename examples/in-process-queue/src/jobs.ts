/**
 * The example's job definition as a module, for running the Spool side in a separate process:
 *
 *   WORKER=off npm start --workspace @spool-examples/in-process-queue
 *   npx spool worker --jobs examples/in-process-queue/dist/jobs.js
 *
 * `EMAIL_LATENCY_MS` (default 200) and `COMPLETED_FILE` (default `./data/welcome-emails-sent.log`)
 * configure it as they configure the app.
 */
import { CompletedLog } from './completed-log.js';
import { integerFromEnv } from './host-settings.js';
import { SimulatedMailer } from './welcome-email.js';
import { defineWelcomeJob } from './welcome-job.js';

/** `emails.welcome` on the queue `welcome-emails`. */
export const welcomeEmail = defineWelcomeJob({
  mailer: new SimulatedMailer(integerFromEnv('EMAIL_LATENCY_MS', 200, 0, 600_000)),
  completed: new CompletedLog(process.env.COMPLETED_FILE || './data/welcome-emails-sent.log'),
});
