import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { NewJob, StorageEvent } from '@spool/core';
import { MySqlStorage } from '@spool/mysql';

import { MYSQL_URL, dropPrefixes, freshPrefix, mysqlAvailable, newJob } from './helpers.js';

// MySQL has no LISTEN/NOTIFY: a storage with subscribers checks the maintained counters every
// watchInterval and wakes its servers when jobs entered a queue. A job claimed and another enqueued
// between two checks leave the queue's count of waiting jobs as it was; the wake-up must come anyway.

const available = await mysqlAvailable();
const prefix = freshPrefix('spool_watch');
let writer: MySqlStorage;
let watcher: MySqlStorage;

beforeAll(async () => {
  if (!available) return;
  writer = new MySqlStorage({ url: MYSQL_URL, prefix, poolSize: 2 });
  await writer.init();
  // A long interval, so that the claim and the second enqueue below fall between two checks.
  watcher = new MySqlStorage({ url: MYSQL_URL, prefix, poolSize: 2, watchInterval: 1000 });
  await watcher.init();
});

afterAll(async () => {
  if (!available) return;
  await watcher.close();
  await writer.close();
  await dropPrefixes([prefix]);
});

const job = (id: string): NewJob => newJob({ id, name: 'mail.send', queue: 'mail' });

/** The next jobs-enqueued event the watching storage reports, or a rejection after `ms`. */
function nextEnqueued(events: StorageEvent[], seen: number, ms: number): Promise<StorageEvent> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const look = (): void => {
      const found = events.slice(seen).find((e) => e.type === 'jobs-enqueued');
      if (found) resolve(found);
      else if (Date.now() > deadline) reject(new Error(`no jobs-enqueued event within ${ms} ms`));
      else setTimeout(look, 20);
    };
    look();
  });
}

describe.skipIf(!available)('the MySQL change watcher', () => {
  it('wakes servers for a job enqueued after another was claimed between two checks', async () => {
    const events: StorageEvent[] = [];
    const unsubscribe = watcher.subscribe((event) => events.push(event));
    try {
      await watcher.watching();
      await writer.jobsCreate({ jobs: [job('00000000-0000-7000-8000-00000000a001')] });
      expect(await nextEnqueued(events, 0, 5000)).toEqual({ type: 'jobs-enqueued', queues: ['mail'] });
      // Just after a check: claim the job and enqueue another before the next one.
      const seen = events.length;
      const claimed = await watcher.jobsFetch({ queues: ['mail'], names: null, limit: 1, serverId: 'server-1', leaseMs: 30_000 });
      expect(claimed).toHaveLength(1);
      await writer.jobsCreate({ jobs: [job('00000000-0000-7000-8000-00000000a002')] });
      expect((await watcher.monitoring.stats()).states.enqueued).toBe(1);
      expect(await nextEnqueued(events, seen, 5000)).toEqual({ type: 'jobs-enqueued', queues: ['mail'] });
    } finally {
      unsubscribe();
    }
  });
});
