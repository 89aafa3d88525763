/**
 * The entry point of a worker thread that runs `execution: 'thread'` jobs. It imports the module
 * that exports the job definition, runs the handler, and talks to the main thread for everything
 * `ctx` does (logs, progress, parameters), so leases and heartbeats stay on the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

import { isUnrecoverable, rateLimitedDelayOf, snoozeDelayOf } from '../errors.js';
import { snoozeJob } from './job-context-factory.js';
import type { JobDefinition } from '../job/definition.js';
import { isJobDefinition } from '../job/definition.js';
import { fromErrorRecord, toErrorRecord } from '../job/error-record.js';
import type { JobContext } from '../job/job-context.js';
import type { Json } from '../job/records.js';
import type { FromThread, ThreadCallMethod, ToThread } from './thread-protocol.js';

const port = parentPort!;
const pendingCalls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let nextCallId = 1;
let controller: AbortController | null = null;
const definitions = new Map<string, Promise<Map<string, JobDefinition>>>();

function send(message: FromThread): void {
  port.postMessage(message);
}

function call(method: ThreadCallMethod, ...args: unknown[]): Promise<unknown> {
  const callId = nextCallId++;
  return new Promise((resolve, reject) => {
    pendingCalls.set(callId, { resolve, reject });
    send({ type: 'call', callId, method, args });
  });
}

function loadDefinitions(module: string): Promise<Map<string, JobDefinition>> {
  let loaded = definitions.get(module);
  if (!loaded) {
    const url = module.startsWith('file:') ? module : pathToFileURL(module).href;
    loaded = import(url).then((exports: Record<string, unknown>) => {
      const map = new Map<string, JobDefinition>();
      for (const value of Object.values(exports)) if (isJobDefinition(value)) map.set(value.name, value);
      return map;
    });
    definitions.set(module, loaded);
  }
  return loaded;
}

async function run(message: Extract<ToThread, { type: 'run' }>): Promise<void> {
  controller = new AbortController();
  const { job } = message;
  const log = (level: 'debug' | 'info' | 'warn' | 'error') => (text: string) => send({ type: 'log', level, message: String(text) });
  const ctx: JobContext = {
    ...job,
    signal: controller.signal,
    log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    progress: async (percent) => {
      await call('progress', percent);
    },
    getParameter: async <T extends Json = Json>(key: string) => (await call('getParameter', key)) as T | undefined,
    setParameter: async (key, value) => {
      await call('setParameter', key, value);
    },
    parent: async () => (await call('parent')) as Awaited<ReturnType<JobContext['parent']>>,
    parents: async () => (await call('parents')) as Awaited<ReturnType<JobContext['parents']>>,
    jobs: { enqueue: async (name, args, options) => (await call('enqueue', name, args, options)) as string },
    snooze: snoozeJob,
  };
  try {
    const definition = (await loadDefinitions(message.module)).get(job.name);
    if (!definition) {
      throw new Error(`The module ${message.module} does not export a job definition named "${job.name}".`);
    }
    const value = await definition.handler(message.args as never, ctx);
    send({ type: 'done', ok: true, value });
  } catch (error) {
    const snoozeMs = snoozeDelayOf(error);
    const rateLimitedMs = rateLimitedDelayOf(error);
    send({
      type: 'done',
      ok: false,
      error: toErrorRecord(error),
      unrecoverable: isUnrecoverable(error),
      ...(snoozeMs !== null ? { snoozeMs } : {}),
      ...(rateLimitedMs !== null ? { rateLimitedMs } : {}),
    });
  } finally {
    controller = null;
  }
}

port.on('message', (message: ToThread) => {
  switch (message.type) {
    case 'run':
      void run(message);
      break;
    case 'reply': {
      const pending = pendingCalls.get(message.callId);
      pendingCalls.delete(message.callId);
      if (message.ok) pending?.resolve(message.value);
      else pending?.reject(fromErrorRecord(message.error ?? { name: 'Error', message: 'call failed' }));
      break;
    }
    case 'abort':
      controller?.abort(fromErrorRecord(message.error));
      break;
    default: {
      const never: never = message;
      throw new Error(`unknown message ${JSON.stringify(never)}`);
    }
  }
});
