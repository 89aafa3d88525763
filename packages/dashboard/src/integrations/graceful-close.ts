import type { Spool } from '@spool/core';

import type { DashboardHandler } from '../create-dashboard.js';
import { closeOnSignals } from './close-on-signals.js';

/** What closing needs of an HTTP server: node:http's, node:https's and node:http2's servers have it. */
export interface ClosableHttpServer {
  close(callback?: (error?: Error) => void): unknown;
}

/** The shutdown of Spool beside an app that owns its HTTP server (Express, Hono). */
export interface GracefulClose {
  /**
   * Stops gracefully, once (later calls return the same promise): ends the dashboard's live
   * streams; when given the HTTP server, stops it accepting connections and waits for the requests
   * in progress; then closes the instance (its servers finish running jobs within their
   * `shutdownTimeout`, the rest return to the queue) and its storage.
   */
  close(httpServer?: ClosableHttpServer): Promise<void>;
  /** On SIGTERM and SIGINT, runs `close(httpServer)`; `close()` removes the listeners. */
  closeOnSignals(httpServer?: ClosableHttpServer): void;
}

/** Builds {@link GracefulClose} for an instance and the dashboard mounted beside it (if any). */
export function gracefulClose(spool: Spool, dashboard: DashboardHandler | null, onClosed: () => void): GracefulClose {
  let closing: Promise<void> | undefined;
  let removeSignalListeners = (): void => undefined;
  const close = (httpServer?: ClosableHttpServer): Promise<void> => {
    closing ??= (async () => {
      removeSignalListeners();
      dashboard?.closeStreams();
      if (httpServer) await closeHttp(httpServer);
      await spool.close();
      onClosed();
    })();
    return closing;
  };
  return {
    close,
    closeOnSignals(httpServer) {
      removeSignalListeners();
      removeSignalListeners = closeOnSignals(() => close(httpServer), (error) => console.error('Spool: closing on a signal failed', error));
    },
  };
}

/** Stops accepting connections and waits for the open ones to finish (idle keep-alive ones are closed). */
function closeHttp(httpServer: ClosableHttpServer): Promise<void> {
  return new Promise((resolve, reject) => {
    httpServer.close((error?: Error & { code?: string }) => {
      // A server that was never listening, or is closed already, has nothing left to wait for.
      if (error && error.code !== 'ERR_SERVER_NOT_RUNNING') reject(error);
      else resolve();
    });
  });
}
