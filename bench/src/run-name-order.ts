/**
 * What a list in name order costs (decision 47): no storage keeps jobs in name order, so a page by
 * name reads and sorts the whole list. `node bench/dist/run-name-order.js --storage
 * sqlite|postgres|mysql [--jobs N] [--rounds N]` fills fresh tables with N enqueued jobs of
 * three names, analyses them, and times the first page (50 jobs) by name and newest first,
 * `rounds` times after two warm-ups, printing p50 and max in milliseconds. (Redis reads one name's
 * index at a time, bounded per call: see docs/redis.md.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';

import type { JobsListParams, Storage } from '@spool/core';
import { Spool, defineJob } from '@spool/core';
import { MySqlStorage } from '@spool/mysql';
import { PostgresStorage } from '@spool/postgres';
import { SqliteStorage } from '@spool/sqlite';

import { median } from './stats.js';

const { values } = parseArgs({ options: { storage: { type: 'string', default: 'sqlite' }, jobs: { type: 'string', default: '50000' }, rounds: { type: 'string', default: '10' } } });
const kind = values.storage!;
const jobs = Number(values.jobs);
const rounds = Math.max(1, Number(values.rounds));
const PG_URL = process.env.SPOOL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.SPOOL_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const definitions = ['orders.process', 'emails.send', 'reports.build'].map((name) => defineJob(name, () => undefined));

/** A fresh storage, how to analyse it, and how to remove it afterwards. */
async function fresh(): Promise<{ storage: Storage; analyse: () => Promise<void>; drop: () => Promise<void> }> {
  const tag = `${process.pid}`;
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'spool-name-order-'));
    const path = join(dir, 'bench.db');
    const storage = new SqliteStorage({ path });
    return {
      storage,
      analyse: async () => {
        const db = new Database(path);
        db.exec('ANALYZE');
        db.close();
      },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (kind === 'postgres') {
    const schema = `bench_name_order_${tag}`;
    const client = new pg.Client(PG_URL);
    await client.connect();
    return {
      storage: new PostgresStorage({ connectionString: PG_URL, schema }),
      analyse: async () => void (await client.query(`VACUUM ANALYZE "${schema}".jobs`)),
      drop: async () => void (await client.query(`DROP SCHEMA "${schema}" CASCADE`), await client.end()),
    };
  }
  const prefix = `bno${tag}_`;
  const conn = await mysql.createConnection(MYSQL_URL);
  return {
    storage: new MySqlStorage({ url: MYSQL_URL, prefix }),
    analyse: async () => void (await conn.query(`ANALYZE TABLE \`${prefix}jobs\``)),
    drop: async () => {
      const [rows] = await conn.query(`SHOW TABLES LIKE '${prefix}%'`);
      for (const row of rows as Array<Record<string, string>>) await conn.query(`DROP TABLE \`${Object.values(row)[0]}\``);
      await conn.end();
    },
  };
}

const { storage, analyse, drop } = await fresh();
const spool = new Spool({ storage, jobs: definitions });
await spool.init();
for (let made = 0; made < jobs; made += 3_000) {
  for (const definition of definitions) await spool.enqueueMany(definition, Array.from({ length: 1_000 }, (_, k) => ({ n: made + k })));
}
await analyse();
const params: JobsListParams = { state: 'enqueued', order: 'name', limit: 50 };
const times: number[] = [];
for (let round = -2; round < rounds; round++) {
  const started = performance.now();
  const page = await storage.monitoring.jobsList(params);
  const ms = performance.now() - started;
  if (page.jobs.length === 0) throw new Error('the list came back empty');
  if (round >= 0) times.push(ms);
}
console.log(`${kind}: first page by name of ${jobs} enqueued jobs: p50 ${median(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms (load ${loadavg()[0]!.toFixed(1)})`);
await spool.close();
await drop();
