import { describe, expect, it } from 'vitest';

import type { ServerRecord } from '@spool/core';

import type { ConformanceTarget } from './conformance-target.js';
import type { Harness } from './harness.js';
import { useHarness } from './harness.js';

/** A server announcement. */
function server(h: Harness, id: string, overrides: Partial<ServerRecord> = {}): Omit<ServerRecord, 'heartbeatAt'> {
  return {
    id,
    hostname: 'host-a',
    pid: 4242,
    queues: ['critical', 'default'],
    concurrency: 20,
    jobNames: ['mail.send', 'reports.build'],
    running: 0,
    startedAt: new Date(h.now()),
    ...overrides,
  };
}

/** Servers listed by monitoring, sorted by id (the contract does not fix their order). */
async function listed(h: Harness): Promise<ServerRecord[]> {
  return (await h.storage.monitoring.servers()).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Tests of `serverHeartbeat`, `serverRemove`, `serversRemoveDead` and the servers read model. */
export function serversTests(target: ConformanceTarget): void {
  describe('servers', () => {
    const h = useHarness(target);

    it('announces a server with its heartbeat time', async () => {
      const announced = server(h, 's1');
      await h.storage.serverHeartbeat({ server: announced });
      expect(await listed(h)).toEqual([{ ...announced, heartbeatAt: new Date(h.now()) }]);
      expect((await h.storage.monitoring.stats()).servers).toBe(1);
    });

    it('refreshes the heartbeat and the figures of a known server', async () => {
      const started = h.now();
      await h.storage.serverHeartbeat({ server: server(h, 's1') });
      h.clock.advance(10_000);
      await h.storage.serverHeartbeat({ server: server(h, 's1', { running: 7, startedAt: new Date(started) }) });
      expect(await listed(h)).toEqual([{ ...server(h, 's1', { running: 7, startedAt: new Date(started) }), heartbeatAt: new Date(h.now()) }]);
      expect((await h.storage.monitoring.stats()).servers).toBe(1);
    });

    it('removes one server and ignores unknown ids', async () => {
      await h.storage.serverHeartbeat({ server: server(h, 's1') });
      await h.storage.serverHeartbeat({ server: server(h, 's2') });
      await h.storage.serverRemove({ id: 's1' });
      await h.storage.serverRemove({ id: 'missing' });
      expect((await listed(h)).map((s) => s.id)).toEqual(['s2']);
      expect((await h.storage.monitoring.stats()).servers).toBe(1);
    });

    it('removes only servers whose heartbeat is older than the timeout', async () => {
      await h.storage.serverHeartbeat({ server: server(h, 'old') });
      h.clock.advance(40_000);
      await h.storage.serverHeartbeat({ server: server(h, 'fresh') });
      h.clock.advance(30_000);
      expect(await h.storage.serversRemoveDead({ timeoutMs: 60_000 })).toEqual(['old']);
      expect((await listed(h)).map((s) => s.id)).toEqual(['fresh']);
      expect(await h.storage.serversRemoveDead({ timeoutMs: 60_000 })).toEqual([]);
      expect((await h.storage.monitoring.stats()).servers).toBe(1);
    });

    it('keeps a server alive by its heartbeats', async () => {
      await h.storage.serverHeartbeat({ server: server(h, 's1') });
      for (let beat = 0; beat < 5; beat++) {
        h.clock.advance(50_000);
        await h.storage.serverHeartbeat({ server: server(h, 's1') });
        expect(await h.storage.serversRemoveDead({ timeoutMs: 60_000 })).toEqual([]);
      }
      expect((await listed(h)).map((s) => s.id)).toEqual(['s1']);
    });

    it('lists no servers when none announced', async () => {
      expect(await h.storage.monitoring.servers()).toEqual([]);
      expect(await h.storage.serversRemoveDead({ timeoutMs: 0 })).toEqual([]);
    });
  });
}
