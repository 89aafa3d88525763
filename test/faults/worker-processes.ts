import { fork, type ChildProcess } from 'node:child_process';

/** The worker process of the fault tests: a Spool server on the storage its environment names. */
export const WORKER = new URL('./fixtures/fault-worker.mjs', import.meta.url);

/** The options of the worker's `fault.count` definition, which the enqueueing process states (it has no definition). */
export const COUNT_JOB_OPTIONS = { queue: 'default', attempts: 10, timeout: null } as const;

/** Worker processes a test started, for `killWorkers` to end. */
const children: ChildProcess[] = [];

/** Starts a worker with `env` added to this process's environment; resolves once its server runs. */
export function startWorker(env: Record<string, string>, output: 'inherit' | 'ignore' = 'inherit'): Promise<ChildProcess> {
  const child = fork(WORKER, { env: { ...process.env, ...env }, stdio: ['ignore', output, output, 'ipc'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });
}

/** Kills (SIGKILL) every worker a test started that is still running. */
export function killWorkers(): void {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Resolves when the process has exited. */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Polls `check` every 20 ms until it is true; fails with `what` after `timeoutMs`. */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
