export { createApp, createHandler } from './app.js';
export type { MessagePushMountOptions } from './mount.js';
export type { ExampleMount } from '@spool-examples/web-kit';
export { mountMessagePush } from './mount.js';
export { PUSH_JOB, PUSH_QUEUE } from './push-job.js';
export type { MessagePush, MessagePushOptions } from './start.js';
export { startMessagePush } from './start.js';
