import { serveDashboard } from '@spool/dashboard';

import { redactStorageUrl } from '../storage-url.js';
import type { Command } from './command.js';
import { jsonDocument } from './format.js';
import { explainListenError } from './listen.js';
import { storageUrl, withSpool } from './open-spool.js';
import { expectPositionals, integerFlag, parseCommandLine, stringFlag } from './parse.js';
import { untilStopSignal } from './stop-signal.js';

const WHERE = 'dashboard';

/** `spool dashboard`: serves the web dashboard on its own HTTP server until SIGTERM or SIGINT. */
export const dashboardCommand: Command = {
  path: ['dashboard'],
  summary: 'Serve the web dashboard',
  positionals: '',
  description:
    'Serves the dashboard (every job, live, with actions) on its own HTTP server until SIGTERM or\n' +
    'SIGINT (Ctrl+C). It listens on 127.0.0.1 and answers only local requests; to open it to other\n' +
    'machines, mount it in your application with an authorize hook (see docs/dashboard.md).',
  options: [
    { name: 'port', type: 'string', value: 'n', description: 'Port to listen on (default 3000)' },
    { name: 'host', type: 'string', value: 'address', description: 'Address to listen on (default 127.0.0.1)' },
    { name: 'read-only', type: 'boolean', description: 'Show everything, change nothing' },
  ],
  examples: [
    '# The dashboard of the default storage on http://127.0.0.1:3000/',
    'spool dashboard',
    '# Another storage and port, read-only',
    'spool dashboard --storage sqlite:./data/spool.db --port 8080 --read-only',
  ],
  async run(args, io) {
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, [], WHERE);
    const port = integerFlag(flags, 'port', WHERE, { min: 0, max: 65_535 }) ?? 3000;
    const host = stringFlag(flags, 'host') ?? '127.0.0.1';
    return withSpool(
      flags,
      io,
      async (spool) => {
        const running = await serveDashboard(spool, { port, host, readOnly: flags['read-only'] === true }).catch((error: unknown) => {
          throw explainListenError(error, port, host, '--port');
        });
        const storage = redactStorageUrl(storageUrl(flags, io));
        // With --json the document is written once the dashboard listens: a script reads its URL there.
        if (flags.json) io.out(jsonDocument({ url: running.url, storage, readOnly: flags['read-only'] === true }));
        io.err(`spool dashboard on ${running.url}\n  storage  ${storage}\nStop with Ctrl+C or SIGTERM.\n`);
        await untilStopSignal();
        await running.close();
        return 0;
      },
      { mustExist: true },
    );
  },
};
