import { request } from 'node:http';

import { afterEach, describe, expect, it } from 'vitest';

import { MemoryStorage, Spool } from '@spool/core';
import { createDashboard, hostNameOf, isAllowedHost } from '@spool/dashboard';

import { csrfOf, listen, post } from './http-harness.js';
import { BY_NAME } from './fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function start(options: Parameters<typeof createDashboard>[1] = {}) {
  const spool = new Spool({ storage: new MemoryStorage() });
  const server = await listen(createDashboard(spool, options));
  cleanups.push(async () => {
    await server.close();
    await spool.close();
  });
  return { spool, ...server };
}

/** A GET with a Host header of our choosing (fetch does not let a caller set Host). */
function getWithHost(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the host names the dashboard answers to', () => {
  it('reads the name of a Host header without its port', () => {
    expect(['localhost:3000', '[::1]:8080', 'Example.COM', 'jobs.example.com.:443', '', '[', 'a b'].map((h) => hostNameOf(h))).toEqual([
      'localhost',
      '::1',
      'example.com',
      'jobs.example.com',
      null,
      null,
      null,
    ]);
  });

  it('accepts IP addresses and localhost always, other names only when allowed', () => {
    for (const host of ['127.0.0.1:3000', '[::1]:3000', '10.1.2.3', 'localhost', 'app.localhost:80']) expect(isAllowedHost(host, [])).toBe(true);
    for (const host of ['attacker.example', 'localhost.attacker.example', '127.0.0.1.nip.io', undefined]) expect(isAllowedHost(host, [])).toBe(false);
    expect(isAllowedHost('jobs.example.com', ['jobs.example.com'])).toBe(true);
    expect(isAllowedHost('a.b.example.com', ['.example.com'])).toBe(true);
    expect(isAllowedHost('example.com', ['.example.com'])).toBe(true);
    expect(isAllowedHost('badexample.com', ['.example.com'])).toBe(false);
  });

  it('refuses a request for a name it was not told about, even from this machine (DNS rebinding)', async () => {
    const { spool, port } = await start();
    const id = await spool.enqueue('reports.build', {}, BY_NAME);
    const rebound = await getWithHost(port, `/api/job/${id}`, 'attacker.example');
    expect(rebound.status).toBe(403);
    expect(rebound.body).not.toContain(id);
    expect(rebound.body).toContain('allowedHosts');
    expect((await getWithHost(port, `/api/job/${id}`, `127.0.0.1:${port}`)).status).toBe(200);
    expect((await getWithHost(port, `/api/job/${id}`, `localhost:${port}`)).status).toBe(200);
  });

  it('answers to a name given in allowedHosts', async () => {
    const { port } = await start({ allowedHosts: ['jobs.example.com'] });
    expect((await getWithHost(port, '/', 'jobs.example.com')).status).toBe(200);
    expect((await getWithHost(port, '/', 'other.example.com')).status).toBe(403);
  });
});

describe('redirects after an action', () => {
  it('stay under the dashboard, however the path is written', async () => {
    const { url, spool } = await start();
    const token = csrfOf(await (await fetch(`${url}/`)).text());
    for (const back of ['/x/..//evil.example/', '//evil.example/x', '/\\evil.example', '/./%2e%2e//evil.example', 'https://evil.example/', '/jobs/../..//evil.example']) {
      const id = await spool.enqueue('reports.build', {}, BY_NAME);
      const response = await post(`${url}/actions/jobs`, { action: 'delete', id, _csrf: token, back });
      const location = response.headers.get('location')!;
      expect(location, back).toMatch(/^\/[^/\\]/);
      expect(new URL(location, url).origin, back).toBe(url);
    }
    const id = await spool.enqueue('reports.build', {}, BY_NAME);
    const fine = await post(`${url}/actions/jobs`, { action: 'delete', id, _csrf: token, back: '/jobs/enqueued?queue=a' });
    expect(fine.headers.get('location')).toMatch(/^\/jobs\/enqueued\?queue=a&notice=/);
  });
});

describe('an authorize hook', () => {
  it('that throws answers a plain 500 and tells the client nothing of the error', async () => {
    const seen: unknown[] = [];
    const { url } = await start({
      authorize: () => {
        throw new Error('session store: connect ECONNREFUSED redis://:s3cret-pass@10.0.0.5:6379');
      },
      onError: (error) => seen.push(error),
    });
    const response = await fetch(`${url}/`);
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body).not.toContain('s3cret');
    expect(body).not.toContain('ECONNREFUSED');
    expect(seen).toHaveLength(1);
  });

  it('can answer 401 with a challenge, or send the browser to a login page', async () => {
    const challenge = await start({ authorize: () => ({ status: 401, headers: { 'WWW-Authenticate': 'Basic realm="Spool"' } }) });
    const unauthorized = await fetch(`${challenge.url}/`);
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('www-authenticate')).toBe('Basic realm="Spool"');
    const login = await start({ authorize: () => ({ redirect: '/login?next=/spool/' }) });
    const redirected = await fetch(`${login.url}/jobs/failed`, { redirect: 'manual' });
    expect(redirected.status).toBe(303);
    expect(redirected.headers.get('location')).toBe('/login?next=/spool/');
  });
});
