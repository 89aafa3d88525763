import { describe, expect, it } from 'vitest';
import { MemoryStorage, Spool, defineJob } from '@spool/core';

const send = defineJob('typing.send', (args: { to: string }) => args.to.length);

class Mailer {
  send(to: string, subject: string): string {
    return `${to}:${subject}`;
  }
}

describe('the typed client', () => {
  it('checks arguments against the definition and the method signature at compile time', async () => {
    const spool = new Spool({ storage: new MemoryStorage(), jobs: [send] });
    spool.register(Mailer);
    await spool.enqueue(send, { to: 'ann' });
    // @ts-expect-error -- wrong argument shape for the definition
    await spool.enqueue(send, { wrong: 1 }).catch(() => undefined);
    await spool.enqueue(Mailer, (m) => m.send('ann', 'hi'));
    // @ts-expect-error -- the method takes strings
    await spool.enqueue(Mailer, (m) => m.send('ann', 42)).catch(() => undefined);
    // @ts-expect-error -- no such method
    await spool.enqueue(Mailer, (m) => m.sned('ann', 'hi')).catch(() => undefined);
    expect((await spool.stats()).states.enqueued).toBeGreaterThanOrEqual(2);
    await spool.close();
  });
});

describe('the typed server events', () => {
  it('refuse a misspelt event name and a wrong payload at compile time', async () => {
    const spool = new Spool({ storage: new MemoryStorage(), jobs: [send] });
    const server = await spool.startServer({ handleSignals: false });
    const seen: string[] = [];
    server.events.on('job:succeeded', ({ job, durationMs }) => seen.push(`${job.name}:${typeof durationMs}`));
    // @ts-expect-error -- no such event
    server.events.on('job:succeded', () => undefined);
    // @ts-expect-error -- the payload of job:failed has no result
    server.events.on('job:failed', ({ result }) => result);
    await spool.enqueue(send, { to: 'ann' });
    await new Promise<void>((resolve) => server.events.once('job:succeeded', () => resolve()));
    expect(seen).toEqual(['typing.send:number']);
    await spool.close();
  });
});
