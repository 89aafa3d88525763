import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Where {@link listenHttp} listens. */
export interface ListenOptions {
  /** HTTP port; 0 picks a free one. Default 3000. */
  port?: number;
  /** HTTP host. Default `'127.0.0.1'`. */
  host?: string;
}

/**
 * Starts `http` listening and returns its base URL, e.g. `http://127.0.0.1:3000` (an IPv6 address in
 * brackets). Rejects when the port cannot be had, e.g. EADDRINUSE.
 */
export async function listenHttp(http: HttpServer, options: ListenOptions = {}): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    // A burst opens many connections at once: a deeper accept queue than Node's default of 511 keeps
    // them from waiting on TCP's one-second retransmission of a dropped connection request.
    http.listen({ port: options.port ?? 3000, host: options.host ?? '127.0.0.1', backlog: 4096 }, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
