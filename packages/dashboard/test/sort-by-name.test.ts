import { describe, expect, it } from 'vitest';

import { MemoryStorage, Spool } from '@spool/core';
import { createDashboard } from '@spool/dashboard';

import { useMemoryDashboard } from './http-harness.js';
import { BY_NAME } from './fixtures.js';

const start = useMemoryDashboard();

const namesOn = (page: string): string[] => [...page.matchAll(/<div class="job-name">([^<]+)<\/div>/g)].map((m) => m[1]!);

describe('sorting a list by job name', () => {
  it('sorts a list up to sortByNameUpTo jobs, and pages through it in that order', async () => {
    const { url, spool, clock } = await start({ pageSize: 2, sortByNameUpTo: 5 });
    for (const name of ['delta', 'alpha', 'charlie', 'bravo', 'alpha']) {
      await spool.enqueue(name, {}, BY_NAME);
      clock.advance(10);
    }
    const first = await (await fetch(`${url}/jobs/enqueued?sort=name`)).text();
    expect(namesOn(first)).toEqual(['alpha', 'alpha']);
    expect(first).toContain('shown, by job name');
    const next = /rel="next" href="([^"]+)"/.exec(first)![1]!.replace(/&amp;/g, '&');
    expect(next).toContain('sort=name');
    expect(namesOn(await (await fetch(`${url}${next}`)).text())).toEqual(['bravo', 'charlie']);
  });

  it('keeps a longer list newest first and says why', async () => {
    const { url, spool, clock } = await start({ sortByNameUpTo: 3 });
    for (const name of ['delta', 'alpha', 'charlie', 'bravo']) {
      await spool.enqueue(name, {}, BY_NAME);
      clock.advance(10);
    }
    const page = await (await fetch(`${url}/jobs/enqueued?sort=name`)).text();
    expect(namesOn(page)).toEqual(['bravo', 'charlie', 'alpha', 'delta']);
    expect(page).toContain('4 jobs are too many to sort by name');
    expect(page).toContain('shown, newest first');
    // One name's jobs need no sort.
    const one = await (await fetch(`${url}/jobs/enqueued?sort=name&name=alpha`)).text();
    expect(namesOn(one)).toEqual(['alpha']);
    expect(one).not.toContain('too many to sort');
  });

  it('refuses a sortByNameUpTo that is not a whole number', () => {
    const spool = new Spool({ storage: new MemoryStorage() });
    expect(() => createDashboard(spool, { sortByNameUpTo: 1.5 })).toThrow(/sortByNameUpTo/);
  });
});
