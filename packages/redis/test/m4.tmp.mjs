import { RedisStorage, SCRIPTS } from '@spool/redis';
import { UuidV7Generator } from '@spool/core';
import { Redis } from 'ioredis';
const admin = new Redis();
const ids = new UuidV7Generator();
const job = () => ({ id: ids.next(), name: 'bench.noop', args: null, queue: 'default', priority: 0, state: 'enqueued', runAt: null, maxAttempts: 3, timeoutMs: null, retentionMs: 86400000, backoff: null, uniqueKey: null, parentId: null, continueOn: null, recurringId: null, parameters: {}, reason: 'x' });
const prefix = 'micro-' + Math.random().toString(16).slice(2);
const s = new RedisStorage({ prefix });
await s.init();
const jobs = Array.from({ length: 1000 }, job);
await s.jobsCreate({ jobs });
const lib = SCRIPTS.stats.text.split('--[[ stats')[0];
const bodies = {
  hgetall: `for i = 3, #ARGV do redis.call('HGETALL', k_job(ARGV[i])) end return 1`,
  hset: `for i = 3, #ARGV do redis.call('HSET', k_job(ARGV[i]), 'state', 'enqueued', 'attempt', 0, 'token', '', 'server', 's', 'leaseExp', NOW, 'started', NOW, 'updated', NOW) end return 1`,
  history: `for i = 3, #ARGV do history(ARGV[i], 'x', 'Started by server s', '{"serverId":' .. cjson.encode('s') .. ',"attempt":1}', 's') end return 1`,
  zbuf: `for i = 3, #ARGV do zset(K_LEASES, ARGV[i], NOW) zset(k_state('x'), ARGV[i], 0) end flush() return 1`,
  nothing: `for i = 3, #ARGV do local x = ARGV[i] end return 1`,
  load: `for i = 3, #ARGV do load(ARGV[i]) end return 1`,
};
for (const [name, body] of Object.entries(bodies)) {
  const sha = await admin.script('LOAD', lib + body);
  await admin.config('RESETSTAT');
  for (let k = 0; k < 100; k++) await admin.evalsha(sha, 1, `{${prefix}}:`, '', 'o', ...jobs.slice(k * 10, k * 10 + 10).map((j) => j.id));
  const m = (await admin.info('commandstats')).match(/evalsha:calls=(\d+),usec=(\d+)/);
  console.log(name, (m[2] / m[1]).toFixed(1), 'us per call of 10');
}
let cursor = '0'; do { const [cc, k] = await admin.scan(cursor, 'MATCH', `{${prefix}}:*`, 'COUNT', 5000); cursor = cc; if (k.length) await admin.unlink(...k); } while (cursor !== '0');
await s.close(); admin.disconnect();
