import { afterEach, describe, expect, it } from 'vitest';

import { Spool, defineJob } from '@spool/core';
import { PostgresStorage } from '@spool/postgres';

import { POSTGRES_URL, dropSchemas, freshSchema, postgresAvailable } from './helpers.js';

const available = await postgresAvailable();
const schemas: string[] = [];
const spools: Spool[] = [];

afterEach(async () => {
  for (const spool of spools.splice(0)) await spool.close();
  await dropSchemas(schemas.splice(0));
});

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.skipIf(!available)('a server on PostgreSQL given strings PostgreSQL cannot hold', () => {
  it('records every job of the batch: the hostile error, log line, parameter and result replaced, the rest exact', async () => {
    const schema = freshSchema('spool_hostile');
    schemas.push(schema);
    const hostile = defineJob(
      'hostile.strings',
      async (args: { fail: boolean }, ctx) => {
        ctx.log.info('line with a NUL \u0000 and a lone \ud800');
        await ctx.setParameter('note', { 'k\u0000': 'v\udfff' });
        if (args.fail) throw new Error('message with a NUL \u0000', { cause: new Error('cause \ud800') });
        return { text: 'result \u0000 \udc00', emoji: '\u{1F600}' };
      },
      { attempts: 1 },
    );
    const plain = defineJob('plain.job', (args: { n: number }, ctx) => {
      ctx.log.info(`plain ${args.n}`);
      return args.n;
    });
    const spool = new Spool({ storage: new PostgresStorage({ connectionString: POSTGRES_URL, schema, poolSize: 3 }), jobs: [hostile, plain] });
    spools.push(spool);
    const failing = await spool.enqueue(hostile, { fail: true });
    const succeeding = await spool.enqueue(hostile, { fail: false });
    const plainIds = await spool.enqueueMany(plain, Array.from({ length: 20 }, (_, n) => ({ n })));
    const server = await spool.startServer({ concurrency: 25, handleSignals: false, pollInterval: '50ms' });
    await until(async () => {
      const { states } = await spool.stats();
      return states.succeeded + states.failed === 22;
    }, 'every job to be recorded');
    await server.stop();

    expect((await spool.stats()).states).toMatchObject({ succeeded: 21, failed: 1, processing: 0, enqueued: 0 });
    const failed = (await spool.getJob(failing))!;
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatchObject({ message: 'message with a NUL \uFFFD', cause: { message: 'cause \uFFFD' } });
    expect(failed.logs.map((l) => l.message)).toEqual(['line with a NUL \uFFFD and a lone \uFFFD']);
    expect(failed.parameters).toEqual({ note: { 'k\uFFFD': 'v\uFFFD' } });
    const succeeded = (await spool.getJob(succeeding))!;
    expect(succeeded).toMatchObject({ state: 'succeeded', result: { text: 'result \uFFFD \uFFFD', emoji: '\u{1F600}' } });
    for (const [n, id] of plainIds.entries()) {
      const job = (await spool.getJob(id))!;
      expect(job).toMatchObject({ state: 'succeeded', result: n });
      expect(job.logs.map((l) => l.message)).toEqual([`plain ${n}`]);
    }
  });
});
