import type { IncomingMessage, ServerResponse } from 'node:http';

/** A comment line this often keeps proxies and load balancers from closing an idle stream. */
const KEEP_ALIVE_MS = 15_000;
/** How long a browser waits before it reconnects a dropped stream (the `retry` field). */
const RECONNECT_MS = 2_000;

/** One open server-sent-events response. */
export interface EventStream {
  /** Sends one event; the data is JSON. Does nothing once the stream is closed. */
  send(event: string, data: unknown): void;
  /** Whether the client is gone (or {@link close} was called). */
  readonly closed: boolean;
  /** Ends the stream from the server's side. */
  close(): void;
  /** Runs `listener` once when the stream ends, whichever side ends it. */
  onClose(listener: () => void): void;
}

/**
 * Opens a server-sent-events stream on `res` (status 200, `text/event-stream`, never cached or
 * buffered by proxies). `headers` are added to the response (security headers, for instance).
 */
export function openEventStream(req: IncomingMessage, res: ServerResponse, headers: Record<string, string> = {}): EventStream {
  res.writeHead(200, {
    ...headers,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    // nginx buffers responses by default, which would hold events back until the buffer fills.
    'X-Accel-Buffering': 'no',
  });
  res.write(`retry: ${RECONNECT_MS}\n\n`);
  const listeners: Array<() => void> = [];
  let closed = false;
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  keepAlive.unref();
  const end = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    for (const listener of listeners.splice(0)) listener();
  };
  req.on('close', end);
  res.on('close', end);
  return {
    send(event, data) {
      if (closed) return;
      // JSON has no raw newlines, so one `data:` line always holds the whole event.
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    get closed() {
      return closed;
    },
    close() {
      end();
      res.end();
    },
    onClose(listener) {
      if (closed) listener();
      else listeners.push(listener);
    },
  };
}
