/**
 * The dashboard under measurement, alone in its process so that its CPU time is its own: serves the
 * dashboard on 127.0.0.1 over the storage given as `argv[2]` (a PostgreSQL URL) and `argv[3]` (the
 * schema), and answers `cpu` messages with its CPU time so far.
 */
import { PostgresStorage } from '@spool/postgres';
import { Spool, serveDashboard } from 'spool';

const [url, schema] = process.argv.slice(2) as [string, string];
const spool = new Spool({ storage: new PostgresStorage({ connectionString: url, schema }) });
await spool.init();
const running = await serveDashboard(spool, { port: 0 });

process.on('message', (message: unknown) => {
  if (message === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuMs: (user + system) / 1000 });
  } else if (message === 'stop') {
    void running.close().then(() => spool.close()).then(() => process.exit(0));
  }
});
process.send?.({ url: running.url });
