/**
 * `npm run start:postgres`: the showcase against PostgreSQL, its web part in one process and the
 * jobs in worker processes, as a deployment with several machines would run it.
 *
 * - `SPOOL_STORAGE`: default `postgres://postgres@127.0.0.1:5432/test?schema=spool_showcase`
 * - `WORKERS`: worker processes, default 2
 * - everything else as for `npm start` (PORT, HOST, DATA_DIR, ...): the web process and the workers
 *   share DATA_DIR, where uploaded documents and PDFs live.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { describeStorage, exitWith } from '@spool-examples/web-kit';


const storage = process.env.SPOOL_STORAGE || 'postgres://postgres@127.0.0.1:5432/test?schema=spool_showcase';
if (!/^postgres(ql)?:\/\//.test(storage)) exitWith('start:postgres', new Error(`SPOOL_STORAGE must be a postgres:// URL here, got ${JSON.stringify(storage)}`));
const workers = Number(process.env.WORKERS || 2);
if (!Number.isInteger(workers) || workers < 1 || workers > 32) exitWith('start:postgres', new Error(`WORKERS must be 1 to 32, got ${JSON.stringify(process.env.WORKERS)}`));

const children = new Map<ChildProcess, string>();
let stopping = false;

function start(label: string, script: string, env: NodeJS.ProcessEnv): void {
  const child = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], {
    env: { ...process.env, ...env, SPOOL_STORAGE: storage },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(child, label);
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => console.log(`[${label}] ${line}`));
  }
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (!stopping) {
      console.error(`[${label}] exited (${signal ?? `code ${code}`}); stopping the others`);
      stopAll(1);
    } else if (children.size === 0) {
      process.exit(process.exitCode ?? 0);
    }
  });
}

function stopAll(exitCode: number): void {
  if (stopping) return;
  stopping = true;
  process.exitCode = exitCode;
  if (children.size === 0) process.exit(exitCode);
  for (const child of children.keys()) child.kill('SIGTERM');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) {
      for (const child of children.keys()) child.kill('SIGKILL');
      process.exit(130);
    }
    console.log(`\nstart:postgres: ${signal}, stopping the web process and ${workers} worker(s) gracefully (again to kill them)`);
    stopAll(0);
  });
}

console.log(`start:postgres: web process and ${workers} worker process(es) on ${describeStorage(storage)}`);
start('web', './main.js', { WORKER: 'off' });
for (let i = 1; i <= workers; i++) start(`worker ${i}`, './worker.js', {});
