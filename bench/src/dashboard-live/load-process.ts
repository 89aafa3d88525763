/**
 * The load: enqueues `argv[4]` jobs a second (in batches every 100 ms) and runs them on a Spool
 * server in this process, over the storage `argv[2]` / schema `argv[3]`, until told to stop. Answers
 * `count` messages with the jobs finished so far (from storage's counters).
 */
import { PostgresStorage } from '@spool/postgres';
import { Spool, defineJob } from 'spool';

const [url, schema, rateText] = process.argv.slice(2) as [string, string, string];
const rate = Number(rateText);
const ping = defineJob('bench.ping', async (args: { n: number }) => ({ pong: args.n }));
const spool = new Spool({ storage: new PostgresStorage({ connectionString: url, schema }), jobs: [ping] });
await spool.init();
const server = await spool.startServer({ concurrency: 50, name: 'bench-load' });
const perTick = Math.max(1, Math.round(rate / 10));
let n = 0;
let stopping = false;
const timer = setInterval(() => {
  if (stopping) return;
  const batch = Array.from({ length: perTick }, () => ({ n: n++ }));
  spool.enqueueMany(ping, batch).catch((error: unknown) => process.stderr.write(`enqueue failed: ${String(error)}\n`));
}, 100);

process.on('message', (message: unknown) => {
  if (message === 'count') {
    void spool.stats().then((s) => process.send?.({ finished: s.states.succeeded + s.states.failed }));
  } else if (message === 'stop') {
    stopping = true;
    clearInterval(timer);
    void server.stop().then(() => spool.close()).then(() => process.exit(0));
  }
});
process.send?.({ ready: true });
