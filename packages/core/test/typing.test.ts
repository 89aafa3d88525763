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
