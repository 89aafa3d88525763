/**
 * The demo's job definitions as a module, for running the jobs in a separate process:
 *
 *   WORKER=off npm start                                  # the API only
 *   npx spool worker --jobs examples/message-push/dist/jobs.js
 *
 * `PUSH_FAILURE_RATE` sets the simulated failure rate here too (default 0.2).
 */
import { DeviceDirectory } from './device-directory.js';
import { definePushJob } from './push-job.js';
import { SimulatedPushProvider } from './push-provider.js';

/** `messages.push` with the demo's directory and a simulated provider. */
export const pushMessage = definePushJob({
  directory: DeviceDirectory.demo(),
  provider: new SimulatedPushProvider({ failureRate: Number(process.env.PUSH_FAILURE_RATE || 0.2) }),
});
