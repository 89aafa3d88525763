import type { Redis } from 'ioredis';

import { LIMIT_KEY_PARAMETER } from '@spool/core';

/** A sorted set as a reply of ZRANGE WITHSCORES, as `member score` lines, sorted. */
function zsetLines(reply: unknown): string[] {
  const r = reply as string[];
  const lines: string[] = [];
  for (let i = 0; i < r.length; i += 2) lines.push(`${r[i]} ${Number(r[i + 1])}`);
  return lines.sort();
}

/** Runs one ZRANGE WITHSCORES per key in one pipeline; the keys that hold something, with their lines. */
async function zsets(client: Redis, keys: readonly string[]): Promise<Record<string, string[]>> {
  const pipeline = client.pipeline();
  for (const key of keys) pipeline.zrange(key, 0, -1, 'WITHSCORES');
  const replies = (await pipeline.exec()) ?? [];
  const found: Record<string, string[]> = {};
  replies.forEach(([error, reply], i) => {
    if (error) throw error;
    const lines = zsetLines(reply);
    if (lines.length > 0) found[keys[i]!] = lines;
  });
  return found;
}

/**
 * What the key index of a prefix holds, beside what it should hold by the jobs as stored (every
 * enqueued job with a limit key, under its queue, name and key, with its queue position): the
 * per-key sets, the sets of keys, and the counts. Equal when the index is exact.
 *
 * The index's keys are looked for where a job could have left them (every queue that ever held jobs,
 * every job name and limit key of a stored job or of the index itself) rather than by a SCAN: the
 * test Redis holds every other suite's keys too.
 */
export async function keyIndexAgainstJobs(client: Redis, prefix: string): Promise<{ stored: unknown; indexed: unknown }> {
  const base = `{${prefix}}:`;
  const ids = (await client.zrange(`${base}all`, 0, -1)).map((member) => member.slice(0, member.indexOf('\t')));
  const read = client.pipeline();
  for (const id of ids) read.hmget(`${base}job:${id}`, 'state', 'queue', 'name', 'seq', 'prio', `p:${LIMIT_KEY_PARAMETER}`);
  const rows = ((await read.exec()) ?? []).map(([error, row]) => {
    if (error) throw error;
    return row as [string | null, string | null, string | null, string | null, string | null, string | null];
  });
  const counts = await client.hgetall(`${base}rkn`);
  const queues = new Set(await client.smembers(`${base}queues`));
  const keysByName = new Map<string, Set<string>>();
  const keysOf = (name: string) => keysByName.get(name) ?? keysByName.set(name, new Set()).get(name)!;
  for (const field of Object.keys(counts)) {
    const [queue, name] = field.split('|') as [string, string];
    queues.add(queue);
    keysOf(name);
  }

  const sets: Record<string, string[]> = {};
  const keys: Record<string, string[]> = {};
  const expectedCounts: Record<string, string> = {};
  rows.forEach(([state, queue, name, seq, prio, raw], i) => {
    if (queue === null || name === null) return;
    queues.add(queue);
    const key = raw === null ? null : (JSON.parse(raw) as unknown);
    if (typeof key !== 'string') {
      keysOf(name);
      return;
    }
    keysOf(name).add(key);
    if (state !== 'enqueued') return;
    const qn = `${queue}|${name}`;
    (sets[`${base}rqk:${qn}|${key}`] ??= []).push(`${seq}${ids[i]} ${-Number(prio ?? 0)}`);
    const known = (keys[`${base}rk:${qn}`] ??= []);
    if (!known.includes(`${key} 0`)) known.push(`${key} 0`);
    expectedCounts[qn] = String(Number(expectedCounts[qn] ?? 0) + 1);
  });
  for (const list of [...Object.values(sets), ...Object.values(keys)]) list.sort();

  const pairs = [...queues].flatMap((queue) => [...keysByName.keys()].map((name) => `${queue}|${name}`));
  const indexedKeys = await zsets(client, pairs.map((qn) => `${base}rk:${qn}`));
  const setKeys = pairs.flatMap((qn) => {
    const name = qn.slice(qn.indexOf('|') + 1);
    const candidates = new Set([...keysOf(name), ...(indexedKeys[`${base}rk:${qn}`] ?? []).map((line) => line.slice(0, line.lastIndexOf(' ')))]);
    return [...candidates].map((key) => `${base}rqk:${qn}|${key}`);
  });
  return {
    stored: { sets, keys, counts: expectedCounts },
    indexed: { sets: await zsets(client, setKeys), keys: indexedKeys, counts },
  };
}
