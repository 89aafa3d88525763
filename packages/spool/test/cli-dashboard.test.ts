import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool } from 'spool';

import { startCli, tempDir, BY_NAME } from './cli-harness.js';

let dir: string;
let remove: () => void;

beforeEach(() => ({ dir, remove } = tempDir()));
afterEach(() => remove());

describe('spool dashboard', () => {
  it('serves the dashboard of a storage until SIGTERM', async () => {
    const storage = `sqlite:${join(dir, 'spool.db')}`;
    const spool = new Spool({ storage });
    await spool.enqueue('reports.build', { month: '2030-01' }, BY_NAME);
    await spool.close();

    const { child, done } = startCli(['dashboard', '--storage', storage, '--port', '0']);
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr!.on('data', (chunk: string) => {
        stderr += chunk;
        const match = /on (http:\/\/\S+)/.exec(stderr);
        if (match) resolve(match[1]!);
      });
      child.once('close', () => reject(new Error(`the dashboard exited early: ${stderr}`)));
    });
    const page = await fetch(new URL('./', url.endsWith('/') ? url : `${url}/`));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const body = await page.text();
    expect(body).toContain('<html');
    child.kill('SIGTERM');
    const run = await done;
    expect(run.code).toBe(0);
  });

  it('is on the umbrella Spool as a request handler', () => {
    const spool = new Spool({ storage: 'memory:' });
    expect(typeof spool.dashboard()).toBe('function');
  });
});
