import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

import mysql from 'mysql2/promise';

/**
 * A MariaDB (or MySQL) server of the test's own: its data directory in a temporary folder, on a free
 * loopback port, so that a test may stop and start it without disturbing anyone else's database.
 * Needs `mariadb-install-db` (or `mysql_install_db`) and `mariadbd` (or `mysqld`) on the machine.
 */
export interface PrivateServer {
  url: string;
  /** Stops the server (SIGTERM: a clean shutdown) and waits for its process to end. */
  stop(): Promise<void>;
  /** Starts it again on the same data directory and port, and waits until it answers. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

const INSTALLERS = ['mariadb-install-db', 'mysql_install_db'];
const SERVERS = ['mariadbd', 'mysqld'];

/** Where an executable is: on PATH, or in /usr/sbin (where Debian puts the server, often off PATH). */
function locate(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== ''), '/usr/sbin'];
  return dirs.map((dir) => join(dir, name)).find((file) => existsSync(file)) ?? null;
}

/** The installer and server binaries, or what is missing. */
export function mariadbBinaries(): { install: string; server: string } | string {
  const install = INSTALLERS.map(locate).find((file) => file !== null);
  const server = SERVERS.map(locate).find((file) => file !== null);
  if (install === undefined || install === null) return `neither ${INSTALLERS.join(' nor ')} is installed`;
  if (server === undefined || server === null) return `neither ${SERVERS.join(' nor ')} is installed`;
  return { install, server };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function answers(url: string, timeoutMs: number, log: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await mysql.createConnection({ uri: url, connectTimeout: 1000 });
      await connection.end();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`the private MariaDB did not answer: ${String(error)}\n${readLog(log)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

/** Creates, starts and waits for a private server with a `test` database; throws with its log when that fails. */
export async function startPrivateServer(binaries: { install: string; server: string }): Promise<PrivateServer> {
  const dir = mkdtempSync(join(tmpdir(), 'spool-mariadb-'));
  const data = join(dir, 'data');
  const log = join(dir, 'error.log');
  // --no-defaults: the machine's my.cnf (its user, port, paths) must not leak into a private server.
  spawnSync(binaries.install, ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', `--user=${process.env.USER ?? 'root'}`], { stdio: 'pipe' });
  const port = await freePort();
  const args = [
    '--no-defaults',
    `--datadir=${data}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${join(dir, 'sock')}`,
    `--pid-file=${join(dir, 'pid')}`,
    `--log-error=${log}`,
    '--skip-grant-tables',
    '--innodb-buffer-pool-size=128M',
    '--max-connections=200',
    ...(process.getuid?.() === 0 ? ['--user=root'] : []),
  ];
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn(binaries.server, args, { stdio: 'ignore' });
    await answers(`mysql://root@127.0.0.1:${port}/mysql`, 60_000, log);
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    await exited;
  };
  await start();
  const admin = await mysql.createConnection({ uri: `mysql://root@127.0.0.1:${port}/mysql` });
  await admin.query('CREATE DATABASE IF NOT EXISTS test');
  await admin.end();
  return {
    url: `mysql://root@127.0.0.1:${port}/test`,
    start,
    stop,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
