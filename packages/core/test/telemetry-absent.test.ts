import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CORE = fileURLToPath(new URL('..', import.meta.url));

// The built core installed alone in a folder outside the repository: no @opentelemetry/api can
// be resolved from it, as for an application that never installed the API.
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'spool-no-otel-'));
  const target = join(dir, 'node_modules', '@spool', 'core');
  cpSync(join(CORE, 'dist'), join(target, 'dist'), { recursive: true });
  cpSync(join(CORE, 'package.json'), join(target, 'package.json'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(source: string): string {
  const file = join(dir, `script-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, source);
  return execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8' }).trim();
}

describe('without @opentelemetry/api installed', () => {
  it('imports, enqueues and runs jobs as usual, with no trace context stored', () => {
    const out = run(`
      import { defineJob, MemoryStorage, Spool, TRACE_CONTEXT_PARAMETER } from '@spool/core';
      let resolved = 'no';
      try { (await import('node:module')).createRequire(import.meta.url).resolve('@opentelemetry/api'); resolved = 'yes'; } catch {}
      const job = defineJob('plain', async () => 42);
      const spool = new Spool({ storage: new MemoryStorage(), jobs: [job] });
      const id = await spool.enqueue(job, {});
      const { state } = await spool.perform(id);
      const parameter = await spool.getParameter(id, TRACE_CONTEXT_PARAMETER);
      await spool.close();
      console.log(JSON.stringify({ resolved, state, parameter: parameter ?? null }));
    `);
    expect(JSON.parse(out)).toEqual({ resolved: 'no', state: 'succeeded', parameter: null });
  });

  it('refuses an explicit tracer provider with an error that names the package to install', () => {
    const out = run(`
      import { MemoryStorage, Spool } from '@spool/core';
      try {
        new Spool({ storage: new MemoryStorage(), telemetry: { tracerProvider: { getTracer: () => ({}) } } });
        console.log('constructed');
      } catch (error) { console.log(error.code + ' ' + error.message); }
    `);
    expect(out).toMatch(/^ERR_TELEMETRY_API_MISSING .*npm install @opentelemetry\/api/);
  });
});
