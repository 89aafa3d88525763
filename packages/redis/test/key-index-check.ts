import type { Redis } from 'ioredis';

import { LIMIT_KEY_PARAMETER } from '@spool/core';

/** Every key of a prefix that starts with `start` (SCAN over `{prefix}:<start>*` only). */
async function keysOf(client: Redis, base: string, start: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${base}${start}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found.sort();
}

/** A sorted set as `member score` lines, sorted. */
async function zsetLines(client: Redis, key: string): Promise<string[]> {
  const r = await client.zrange(key, 0, -1, 'WITHSCORES');
  const lines: string[] = [];
  for (let i = 0; i < r.length; i += 2) lines.push(`${r[i]} ${Number(r[i + 1])}`);
  return lines.sort();
}

/**
 * What the key index of a prefix holds, beside what it should hold by the jobs as stored (every
 * enqueued job with a limit key, under its queue, name and key, with its queue position): the
 * per-key sets, the sets of keys, and the counts. Equal when the index is exact.
 */
export async function keyIndexAgainstJobs(client: Redis, prefix: string): Promise<{ stored: unknown; indexed: unknown }> {
  const base = `{${prefix}}:`;
  const sets: Record<string, string[]> = {};
  const keys: Record<string, string[]> = {};
  const counts: Record<string, string> = {};
  for (const id of await client.zrange(`${base}st:enqueued`, 0, -1)) {
    const [queue, name, seq, prio, raw] = await client.hmget(`${base}job:${id}`, 'queue', 'name', 'seq', 'prio', `p:${LIMIT_KEY_PARAMETER}`);
    const key = raw === null || raw === undefined ? null : (JSON.parse(raw) as unknown);
    if (typeof key !== 'string') continue;
    const qn = `${queue}|${name}`;
    (sets[`${base}rqk:${qn}|${key}`] ??= []).push(`${seq}${id} ${-Number(prio ?? 0)}`);
    const known = (keys[`${base}rk:${qn}`] ??= []);
    if (!known.includes(`${key} 0`)) known.push(`${key} 0`);
    counts[qn] = String(Number(counts[qn] ?? 0) + 1);
  }
  for (const list of [...Object.values(sets), ...Object.values(keys)]) list.sort();
  const indexedSets: Record<string, string[]> = {};
  for (const key of await keysOf(client, base, 'rqk:')) indexedSets[key] = await zsetLines(client, key);
  const indexedKeys: Record<string, string[]> = {};
  for (const key of await keysOf(client, base, 'rk:')) indexedKeys[key] = await zsetLines(client, key);
  return {
    stored: { sets, keys, counts },
    indexed: { sets: indexedSets, keys: indexedKeys, counts: await client.hgetall(`${base}rkn`) },
  };
}
