import { RedisStorage } from '@spool/redis';
import { UuidV7Generator } from '@spool/core';
import { Redis } from 'ioredis';
const admin = new Redis();
const ids = new UuidV7Generator();
const job = () => ({ id: ids.next(), name: 'bench.noop', args: null, queue: 'default', priority: 0, state: 'enqueued', runAt: null, maxAttempts: 3, timeoutMs: null, retentionMs: 86400000, backoff: null, uniqueKey: null, parentId: null, continueOn: null, recurringId: null, parameters: {}, reason: 'x' });
for (const limit of [1, 10, 100]) {
  const prefix = 'micro-' + Math.random().toString(16).slice(2);
  const s = new RedisStorage({ prefix });
  await s.init();
  for (let i = 0; i < 5000; i += 1000) await s.jobsCreate({ jobs: Array.from({ length: 1000 }, job) });
  const fetched = [];
  await admin.config('RESETSTAT');
  for (;;) { const j = await s.jobsFetch({ queues: ['default'], names: ['bench.noop'], limit, serverId: 's', leaseMs: 30000 }); if (!j.length) break; fetched.push(j); }
  const f = (await admin.info('commandstats')).match(/evalsha:calls=(\d+),usec=(\d+)/);
  await admin.config('RESETSTAT');
  for (const jobs of fetched) await s.jobsComplete({ serverId: 's', completions: jobs.map(j => ({ id: j.id, leaseToken: j.leaseToken, outcome: { state: 'succeeded', result: null, reason: 'ok' } })) });
  const c = (await admin.info('commandstats')).match(/evalsha:calls=(\d+),usec=(\d+)/);
  console.log({ limit, fetchUsPerJob: f[2] / 5000, fetchUsPerCall: f[2] / f[1], completeUsPerJob: c[2] / 5000, completeUsPerCall: c[2]/c[1] });
  let cursor = '0'; do { const [cc, k] = await admin.scan(cursor, 'MATCH', `{${prefix}}:*`, 'COUNT', 5000); cursor = cc; if (k.length) await admin.unlink(...k); } while (cursor !== '0');
  await s.close();
}
admin.disconnect();
