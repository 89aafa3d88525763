/**
 * The dead letters at scale: listing, counting and redriving 100,000 of them beside as many other
 * jobs. `node bench/dist/run-dead-letters.js --storage sqlite|postgres|mysql --dead 100000 --other 100000 --rounds 20`.
 * The data is made through the storage contract (created, claimed, failed into the dead letters in
 * batches of 1,000), the tables analysed, then each read is timed `--rounds` times after 2 warm-ups,
 * then every dead letter is redriven by one filter redrive (batches of 500, one commit each), timed
 * until the client has the report. Each run uses fresh tables (a fresh schema, prefix or file) and
 * drops them afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import Database from 'better-sqlite3';
import type { DeadLettersListParams, NewJob, Storage } from '@spool/core';
import { DeadLettersManager, UuidV7Generator, systemClock } from '@spool/core';
import { MySqlStorage } from '@spool/mysql';
import { PostgresStorage } from '@spool/postgres';
import { SqliteStorage } from '@spool/sqlite';

import { BENCH_MYSQL_URL, analyzeTables, dropTables, freshPrefix } from './mysql/spool-mysql-scenarios.js';
import { BENCH_POSTGRES_URL, analyzeSchema, dropSchema, freshSchema } from './postgres/database.js';
import { quantile } from './stats.js';

const { values } = parseArgs({
  options: {
    storage: { type: 'string', default: 'sqlite' },
    dead: { type: 'string', default: '100000' },
    other: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '20' },
  },
});
const dead = Number(values.dead);
const other = Number(values.other);
const rounds = Math.max(1, Number(values.rounds));
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const NAMES = ['payments.charge', 'emails.send', 'orders.ship', 'reports.build', 'search.index'];
const ERRORS = ['TypeError', 'HttpError', 'TimeoutError', 'RangeError'];
const BATCH = 1_000;

let storage: Storage;
let analyze: () => Promise<void>;
let drop: () => Promise<void>;
if (values.storage === 'postgres') {
  const schema = freshSchema('spool_bench_dead');
  storage = new PostgresStorage({ connectionString: BENCH_POSTGRES_URL, schema });
  analyze = () => analyzeSchema(schema);
  drop = () => dropSchema(schema);
} else if (values.storage === 'mysql') {
  const prefix = freshPrefix();
  storage = new MySqlStorage({ url: BENCH_MYSQL_URL, prefix });
  analyze = () => analyzeTables(prefix);
  drop = () => dropTables(prefix);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'spool-bench-dead-'));
  const path = join(dir, 'dead.db');
  storage = new SqliteStorage({ path });
  analyze = async () => {
    const db = new Database(path);
    db.exec('ANALYZE');
    db.close();
  };
  drop = async () => rmSync(dir, { recursive: true, force: true });
}
await storage.init();
const ids = new UuidV7Generator(systemClock);
const job = (i: number): NewJob => ({
  id: ids.next(),
  name: NAMES[i % NAMES.length]!,
  args: { n: i, to: `user${i}@example.com` },
  queue: 'default',
  priority: 0,
  state: 'enqueued',
  runAt: null,
  maxAttempts: 1,
  timeoutMs: null,
  retentionMs: 86_400_000,
  backoff: null,
  uniqueKey: null,
  parentId: null,
  continueOn: null,
  recurringId: null,
  parameters: {},
  reason: 'Enqueued',
});

/** Creates `count` jobs, claims them and records each outcome, in batches. */
async function fill(count: number, outcome: (i: number) => 'dead' | 'succeeded'): Promise<void> {
  for (let done = 0; done < count; done += BATCH) {
    const size = Math.min(BATCH, count - done);
    await storage.jobsCreate({ jobs: Array.from({ length: size }, (_, k) => job(done + k)) });
    const claimed = await storage.jobsFetch({ queues: ['default'], names: null, limit: size, serverId: 'bench', leaseMs: 600_000 });
    await storage.jobsComplete({
      serverId: 'bench',
      completions: claimed.map((c, k) => {
        const i = done + k;
        return outcome(i) === 'dead'
          ? { id: c.id, leaseToken: c.leaseToken, outcome: { state: 'failed', error: { name: ERRORS[i % ERRORS.length]!, message: `attempt failed for user${i}@example.com` }, reason: 'No attempts left', deadLetter: true } }
          : { id: c.id, leaseToken: c.leaseToken, outcome: { state: 'succeeded', result: null, reason: 'Succeeded' } };
      }),
    });
    if ((done / BATCH) % 20 === 0) log(`  ${(done + size).toLocaleString('en-US')} of ${count.toLocaleString('en-US')}`);
  }
}

async function time(work: () => Promise<unknown>): Promise<{ p50: number; p95: number; max: number }> {
  const samples: number[] = [];
  for (let i = 0; i < rounds + 2; i++) {
    const started = performance.now();
    await work();
    if (i >= 2) samples.push(performance.now() - started);
  }
  return { p50: quantile(samples, 0.5), p95: quantile(samples, 0.95), max: Math.max(...samples) };
}

try {
  log(`${storage.kind}: ${dead.toLocaleString('en-US')} dead letters`);
  await fill(dead, () => 'dead');
  log(`${storage.kind}: ${other.toLocaleString('en-US')} succeeded jobs beside them`);
  await fill(other, () => 'succeeded');
  await analyze();
  const stats = await storage.monitoring.stats();
  const list = (params: Omit<DeadLettersListParams, 'limit'>) => () => storage.deadLettersList({ limit: 50, ...params });
  // A page deep in the list: the cursor after 10,000 dead letters.
  let deep: string | null = null;
  for (let i = 0; i < 20; i++) deep = (await storage.deadLettersList({ limit: 500, cursor: deep })).nextCursor;
  const reads: Array<[string, () => Promise<unknown>]> = [
    ['counts by job name and error (`deadLettersGroups`)', () => storage.deadLettersGroups({ limit: 100 })],
    ['counts of one job name', () => storage.deadLettersGroups({ name: 'orders.ship', limit: 100 })],
    ['first page, 50 newest', list({})],
    ['page after 10,000', list({ cursor: deep })],
    ['by job name', list({ name: 'orders.ship' })],
    ['by job name and error name', list({ name: 'orders.ship', errorName: 'TimeoutError' })],
    ['by message text, matching 1 (reads every dead letter)', list({ message: 'user77777@' })],
  ];
  const timings: Array<[string, { p50: number; p95: number; max: number }]> = [];
  for (const [what, work] of reads) timings.push([what, await time(work)]);
  const manager = new DeadLettersManager({ storage, init: () => storage.init(), jsonArgs: (a) => a as never });
  const started = performance.now();
  const report = await manager.redrive({ filter: {} });
  const redriveMs = performance.now() - started;
  const after = await storage.monitoring.stats();
  if (report.redriven !== dead || after.states.enqueued !== dead || after.states.failed !== 0) throw new Error(`redrive left ${JSON.stringify(after.states)} (${report.redriven} redriven)`);

  console.log(`${storage.kind}, Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${rounds} calls per read after 2 warm-ups`);
  console.log(`Jobs per state before the redrive: ${Object.entries(stats.states).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${n.toLocaleString('en-US')}`).join(', ')}\n`);
  console.log('| read | p50 | p95 | max |');
  console.log('|---|---|---|---|');
  for (const [what, t] of timings) console.log(`| ${what} | ${t.p50.toFixed(1)} ms | ${t.p95.toFixed(1)} ms | ${t.max.toFixed(1)} ms |`);
  console.log(`\nRedrive of all ${dead.toLocaleString('en-US')} by one filter (${Math.ceil(dead / 500)} batches of 500): ${(redriveMs / 1000).toFixed(1)} s, ${Math.round(dead / (redriveMs / 1000)).toLocaleString('en-US')} jobs/s`);
} finally {
  await storage.close();
  await drop();
}
