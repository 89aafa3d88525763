const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * On SIGTERM or SIGINT, runs `close` (the whole application's graceful shutdown), then raises the
 * signal again when nobody else listens, so that the process ends as it would have without Spool.
 * Returns a function that removes the listeners. A failed `close` goes to `onError`, and the
 * process still ends.
 *
 * The signal waits for the whole shutdown: a server that listened for itself would be stopped
 * first and could end the process while the HTTP server still answers requests in progress.
 */
export function closeOnSignals(close: () => Promise<void>, onError: (error: unknown) => void): () => void {
  const listeners = new Map<NodeJS.Signals, () => void>();
  const remove = (): void => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
    listeners.clear();
  };
  for (const signal of SIGNALS) {
    const listener = (): void => {
      remove();
      void close()
        .catch(onError)
        .finally(() => {
          if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
        });
    };
    listeners.set(signal, listener);
    process.once(signal, listener);
  }
  return remove;
}
