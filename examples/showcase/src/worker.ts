/**
 * A worker process of the showcase: the examples' jobs, no web part. `npm run start:postgres` starts
 * several; start more by hand with the same `SPOOL_STORAGE` and `DATA_DIR` as the web process:
 *
 *   SPOOL_STORAGE=postgres://postgres@127.0.0.1/test?schema=spool_showcase node examples/showcase/dist/worker.js
 */
import { hostname } from 'node:os';

import { exitWith, stopOnSignals } from '@spool-examples/web-kit';

import { mountExamples } from './showcase.js';
import { settingsOrExit } from './settings.js';

const settings = settingsOrExit('worker');
const examples = await mountExamples(settings).catch((error: unknown) => exitWith('worker', error));
const name = `${hostname()}:${process.pid}`;
const servers = await Promise.all(
  examples.work.map(({ queues, concurrency }) => examples.spool.startServer({ queues, concurrency, name: `${name} ${queues.join(',')}`, handleSignals: false })),
);
console.log(`worker ${name}: running ${examples.work.map((w) => `${w.queues.join(',')} x${w.concurrency}`).join(', ')}`);
stopOnSignals(`worker ${process.pid}`, async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await examples.close();
});
