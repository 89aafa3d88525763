import { describe, expect, it } from 'vitest';

import { useMemoryDashboard } from './http-harness.js';
import { BY_NAME } from './fixtures.js';

const start = useMemoryDashboard();

const olderLink = (page: string): string | null => /<a class="btn btn-small btn-ghost" href="([^"]+)">Search older jobs/.exec(page)?.[1]?.replace(/&amp;/g, '&') ?? null;

describe('job search', () => {
  it('finds a job by its exact id at once', async () => {
    const { url, spool } = await start({});
    const id = await spool.enqueue('emails.send', { to: 'a@example.com' }, BY_NAME);
    await spool.enqueueMany('emails.send', Array.from({ length: 100 }, (_, i) => ({ to: `b${i}@example.com` })), BY_NAME);
    const page = await (await fetch(`${url}/search?q=${id}`)).text();
    expect(page).toContain(`href="/job/${id}"`);
    expect(page.match(/<tr data-job=/g)).toHaveLength(1);
  });

  it('searches the newest jobs within its time budget and offers to search older ones until it finds the match', async () => {
    const { url, spool, clock } = await start({ searchTimeBudget: 1 });
    await spool.enqueue('emails.send', { to: 'needle@example.com' }, BY_NAME);
    clock.advance(5000);
    for (let i = 0; i < 4; i++) await spool.enqueueMany('emails.send', Array.from({ length: 5000 }, (_, k) => ({ to: `hay${i}-${k}@example.com`, pad: 'x'.repeat(200) })), BY_NAME);
    const first = await (await fetch(`${url}/search?q=needle`)).text();
    expect(first).toContain('Searched jobs created since');
    expect(first).not.toContain('needle@example.com');
    let link = olderLink(first);
    let found = false;
    for (let hops = 0; link && hops < 40 && !found; hops++) {
      const page = await (await fetch(`${url}${link}`)).text();
      found = page.includes('needle@example.com');
      link = olderLink(page);
    }
    expect(found).toBe(true);
  });

  it('searches everything when the budget allows, and says nothing about a cut', async () => {
    const { url, spool, clock } = await start({ searchTimeBudget: '10s' });
    await spool.enqueue('emails.send', { to: 'needle@example.com' }, BY_NAME);
    clock.advance(86_400_000 * 30);
    await spool.enqueueMany('emails.send', Array.from({ length: 200 }, (_, k) => ({ to: `hay${k}@example.com` })), BY_NAME);
    const page = await (await fetch(`${url}/search?q=needle`)).text();
    expect(page).toContain('needle@example.com');
    expect(page).not.toContain('Searched jobs created since');
  });
});
