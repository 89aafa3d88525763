import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { EXPORT_QUEUE } from './export-job.js';

/** Options of {@link startDistributed}. */
export interface DistributedOptions {
  /** The PostgreSQL storage URL every process shares, e.g. `postgres://app@db:5432/app?schema=spool`. */
  storage: string;
  /**
   * The object store every process shares, as an `s3://` URL. Default: a local S3 protocol server
   * is started as a process of its own (the demo's object store), with its objects under `dataDir`.
   */
  files?: string;
  /** Folder for each process's own local folder (and the demo object store's objects). Nothing in it is shared. */
  dataDir: string;
  /** Worker processes. Default 2. */
  workers?: number;
  /** Conversions each worker runs at once. Default 2. */
  concurrency?: number;
  /** The web process's port; 0 picks a free one. Default 3000. */
  port?: number;
  /** Pause after each laid-out block (see `EXPORT_BLOCK_DELAY_MS`). Default 150. */
  blockDelayMs?: number;
  /** How long a worker's job stays its own after the last renewal (`spool worker --lease-time`). Default `'30s'`. */
  leaseTime?: string;
  /** Where each process's output goes, line by line. Default: the console, with the process's label. */
  onLine?: (label: string, line: string) => void;
}

/** One process of the distributed example. */
export interface DistributedProcess {
  /** `object-store`, `web`, `worker-1`, `worker-2`, ... */
  label: string;
  child: ChildProcess;
}

/** A worker process, with the id its Spool server announced. */
export interface DistributedWorker extends DistributedProcess {
  serverId: string;
}

/** The running distributed example. */
export interface RunningDistributed {
  /** The web process's URL. */
  url: string;
  /** The object store's URL, as the processes use it. */
  files: string;
  web: DistributedProcess;
  workers: DistributedWorker[];
  /** The demo object store's process, or null when `files` was given. */
  objectStore: DistributedProcess | null;
  /** Stops every process that is still running: workers first (they finish their conversions), then the web process, then the object store. */
  stop(): Promise<void>;
}

const DIST = dirname(fileURLToPath(import.meta.url));
const SPOOL_CLI = join(dirname(createRequire(import.meta.url).resolve('spool')), 'cli/main.js');
/** How long a process may take to announce itself. */
const START_TIMEOUT_MS = 30_000;
/** How long a stopping process may take before it is killed. */
const STOP_TIMEOUT_MS = 25_000;

/**
 * Starts the document export as separate processes that share only PostgreSQL and an object
 * store: one web process (uploads, status, downloads; it runs no job) and `workers` processes
 * running `spool worker` on the conversion queue, each with a local folder of its own. Without
 * `files`, a local S3 protocol server is started first, as the object store.
 */
export async function startDistributed(options: DistributedOptions): Promise<RunningDistributed> {
  const onLine = options.onLine ?? ((label: string, line: string) => console.log(`[${label}] ${line}`));
  const dataDir = resolve(options.dataDir);
  const started: DistributedProcess[] = [];
  const outputs = new Map<ChildProcess, Output>();
  const launch = (label: string, args: string[], env: NodeJS.ProcessEnv): DistributedProcess => {
    const folder = join(dataDir, label);
    mkdirSync(folder, { recursive: true });
    // Each process runs in a folder of its own: nothing on disk is shared.
    const child = spawn(process.execPath, args, { cwd: folder, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    // Every line is kept from the start, so that a wait that begins later still sees an announcement made earlier.
    const output: Output = { lines: [], listeners: new Set() };
    outputs.set(child, output);
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        output.lines.push(line);
        for (const listener of [...output.listeners]) listener(line);
        onLine(label, line);
      });
    }
    const entry = { label, child };
    started.push(entry);
    return entry;
  };
  const announced = (process: DistributedProcess, pattern: RegExp): Promise<RegExpExecArray> => waitForLine(process, outputs.get(process.child)!, pattern);
  const stop = async (): Promise<void> => {
    const order = [...started].sort((a, b) => rank(a.label) - rank(b.label));
    for (const group of [order.filter((p) => p.label.startsWith('worker')), order.filter((p) => !p.label.startsWith('worker'))]) {
      await Promise.all(group.map((p) => stopProcess(p.child)));
    }
  };
  try {
    let files = options.files;
    let objectStore: DistributedProcess | null = null;
    if (files === undefined) {
      objectStore = launch('object-store', [join(DIST, 'object-store.js')], { OBJECT_STORE_DIR: join(dataDir, 'object-store', 'objects'), OBJECT_STORE_PORT: '0' });
      const [, endpoint, bucket] = await announced(objectStore, /object store listening on (\S+) bucket (\S+)/);
      // s3rver's fixed credentials; a real object store takes them from the environment instead.
      files = `s3://S3RVER:S3RVER@${bucket}/document-export?endpoint=${endpoint}`;
    }
    const shared = { SPOOL_STORAGE: options.storage, SPOOL_FILES: files, EXPORT_STORE_DIR: './local', EXPORT_BLOCK_DELAY_MS: String(options.blockDelayMs ?? 150) };
    const web = launch('web', [join(DIST, 'main.js')], { ...shared, WORKER: 'off', PORT: String(options.port ?? 3000), HOST: '127.0.0.1' });
    const [, url] = await announced(web, /listening on (http:\/\/\S+)/);
    const workers: DistributedWorker[] = [];
    for (let n = 1; n <= (options.workers ?? 2); n++) {
      const args = [SPOOL_CLI, 'worker', '--jobs', join(DIST, 'jobs.js'), '--queues', EXPORT_QUEUE, '--concurrency', String(options.concurrency ?? 2), '--name', `export-worker-${n}`];
      if (options.leaseTime !== undefined) args.push('--lease-time', options.leaseTime);
      const worker = launch(`worker-${n}`, args, shared);
      workers.push({ ...worker, serverId: '' });
    }
    for (const worker of workers) worker.serverId = (await announced(worker, /spool worker (\S+) started/))[1]!;
    return { url: url!, files: files!, web, workers, objectStore, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function rank(label: string): number {
  return label.startsWith('worker') ? 0 : label === 'web' ? 1 : 2;
}

/** A process's output so far, and who waits for its next line. */
type Output = { lines: string[]; listeners: Set<(line: string) => void> };

/** Waits (bounded) for a line of the process's output, printed already or to come, to match; fails when the process exits first. */
function waitForLine(process: DistributedProcess, output: Output, pattern: RegExp): Promise<RegExpExecArray> {
  const { child, label } = process;
  return new Promise((resolvePromise, reject) => {
    for (const line of output.lines) {
      const match = pattern.exec(line);
      if (match) return resolvePromise(match);
    }
    const done = (): void => {
      clearTimeout(timer);
      child.off('exit', onExit);
      output.listeners.delete(onLine);
    };
    const onLine = (line: string): void => {
      const match = pattern.exec(line);
      if (match) {
        done();
        resolvePromise(match);
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      done();
      reject(new Error(`${label} exited (${signal ?? `code ${code}`}) before it started:\n${output.lines.join('\n')}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${label} did not start within ${START_TIMEOUT_MS / 1000} s:\n${output.lines.join('\n')}`));
    }, START_TIMEOUT_MS);
    output.listeners.add(onLine);
    if (child.exitCode !== null || child.signalCode !== null) onExit(child.exitCode, child.signalCode);
    else child.once('exit', onExit);
  });
}

/** SIGTERM, then SIGKILL if the process has not exited in time. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolvePromise) => (timer = setTimeout(() => resolvePromise('late'), STOP_TIMEOUT_MS)));
  if ((await Promise.race([exited, late])) === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}
