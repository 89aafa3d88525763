import type { Server } from 'node:http';

import { CliError } from './command.js';

/**
 * A failure to listen as the CLI reports it: a port already in use, or one that needs privileges,
 * becomes a CliError that says what to do instead of a stack trace. Other errors pass unchanged.
 */
export function explainListenError(error: unknown, port: number, host: string, flag: string): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') {
    return new CliError('ERR_PORT_IN_USE', `Port ${port} on ${host} is taken by another program. Stop it, or pass another port (${flag} ${port + 1}, or ${flag} 0 for any free one).`, { cause: error });
  }
  if (code === 'EACCES') {
    return new CliError('ERR_PORT_DENIED', `Listening on port ${port} needs privileges this process lacks. Pass a port above 1023 (${flag} 8080).`, { cause: error });
  }
  return error;
}

/** Starts listening; resolves to `host:port` as bound, or rejects with {@link explainListenError}'s error. */
export function listenOrExplain(server: Server, port: number, host: string, flag: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(explainListenError(error, port, host, flag));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      resolve(`${host.includes(':') ? `[${host}]` : host}:${bound}`);
    });
  });
}
