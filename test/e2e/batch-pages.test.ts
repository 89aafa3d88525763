import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';
import { Spool, createDashboard, defineJob } from 'spool';

import { e2eStorageKinds } from './e2e-storages.js';

// The dashboard's batch and flow pages read only the storage's flows and monitoring: they show the
// same flow, with the same steps and progress, on every storage that has the batches capability.

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function serve(spool: Spool): Promise<string> {
  const server = createServer(createDashboard(spool));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const kinds = await e2eStorageKinds();

describe('the batch and flow pages of the dashboard', () => {
  for (const kind of kinds) {
    it.skipIf(!kind.up)(`draws a flow's steps and progress, and lists its batch, on ${kind.name}`, async () => {
      const storage = kind.fresh('pages');
      cleanups.push(storage.cleanup);
      const charge = defineJob('order.charge', () => ({ charged: true }));
      const spool = new Spool({ storage: storage.url, jobs: [charge] });
      cleanups.push(() => spool.close());
      await spool.init();
      const flow = await spool.flow(
        [
          { name: 'charge', job: charge },
          { name: 'ship', job: charge, dependsOn: ['charge'] },
          { name: 'notify', job: charge, dependsOn: ['charge'] },
          { name: 'close', job: charge, dependsOn: ['ship', 'notify'] },
        ],
        { description: 'Order <o-7>' },
      );
      await spool.perform(flow.jobs['charge']!);
      const url = await serve(spool);

      const list = await (await fetch(`${url}/batches`)).text();
      expect(list).toContain(`data-batch="${flow.id}"`);
      expect(list).toContain('Order &lt;o-7&gt;');
      const page = await (await fetch(`${url}/batch/${flow.id}`)).text();
      expect(page).toContain('data-step="charge" data-step-state="succeeded"');
      expect(page).toContain('data-step="ship" data-step-state="enqueued"');
      expect(page).toContain('data-step="close" data-step-state="awaiting"');
      expect(page).toContain('data-edge="ship->close"');
      expect(page).toMatch(/data-batch-finished>1</);
      const api = (await (await fetch(`${url}/api/batch/${flow.id}?state=awaiting`)).json()) as { batch: { total: number; status: string }; jobs: Array<{ id: string }> };
      expect(api.batch).toMatchObject({ total: 4, status: 'running' });
      expect(api.jobs.map((j) => j.id)).toEqual([flow.jobs['close']]);
    }, 60_000);
  }
});
