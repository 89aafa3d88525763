export { createApp, createHandler } from './app.js';
export type { ExampleMount, MessagePushMountOptions } from './mount.js';
export { mountMessagePush } from './mount.js';
export { PUSH_JOB, PUSH_QUEUE } from './push-job.js';
export type { MessagePush, MessagePushOptions } from './start.js';
export { startMessagePush } from './start.js';
