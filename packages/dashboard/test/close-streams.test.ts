import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MemoryStorage, Spool } from '@spool/core';
import { createDashboard } from '@spool/dashboard';

import { listen } from './http-harness.js';

let spool: Spool;

beforeAll(async () => {
  spool = new Spool({ storage: new MemoryStorage() });
  await spool.init();
});

afterAll(async () => {
  await spool.close();
});

describe('closing the live streams at shutdown', () => {
  it('ends open streams, refuses new ones so pages poll, and still answers pages and the API', async () => {
    const dashboard = createDashboard(spool);
    const served = await listen(dashboard);
    try {
      const response = await fetch(`${served.url}/api/live`);
      const reader = response.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toContain('retry:');
      dashboard.closeStreams();
      for (;;) if ((await reader.read()).done) break;

      const refused = await fetch(`${served.url}/api/live`);
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('ERR_STREAMS_CLOSED');
      expect((await fetch(`${served.url}/`)).status).toBe(200);
      expect((await fetch(`${served.url}/api/stats`)).status).toBe(200);
    } finally {
      await served.close();
    }
  });
});
