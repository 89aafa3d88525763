/**
 * The in-process queue example: a bounded queue in memory next to the same work on Spool.
 * `mountInProcessQueue(spool, options)` puts it into a bigger app; `startInProcessQueue` runs it alone.
 */
export { BoundedQueue, QueueClosedError } from './bounded-queue.js';
export { startConsumers } from './queue-consumers.js';
export type { ConsumersOptions, RunningConsumers } from './queue-consumers.js';
export { CompletedLog } from './completed-log.js';
export type { CompletedEntry, WorkPath } from './completed-log.js';
export { MemoryWelcomeSender } from './memory-welcome.js';
export type { MemoryQueueStatus, MemoryWelcomeOptions, QueuedEmail } from './memory-welcome.js';
export { SimulatedMailer } from './welcome-email.js';
export type { WelcomeEmail } from './welcome-email.js';
export { WELCOME_JOB, WELCOME_QUEUE, defineWelcomeJob } from './welcome-job.js';
export { MAX_BURST, mountInProcessQueue } from './mount.js';
export type { InProcessQueueMount, InProcessQueueOptions, WorkStatus } from './mount.js';
export type { ExampleMount } from '@spool-examples/web-kit';
export { DASHBOARD_PATH, startInProcessQueue } from './start.js';
export type { InProcessQueueHost, InProcessQueueHostOptions } from './start.js';
