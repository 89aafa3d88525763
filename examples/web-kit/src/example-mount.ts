import type { IncomingMessage, ServerResponse } from 'node:http';

/** What an example gives the app that hosts it. */
export interface ExampleMount {
  /** Handles a request whose URL has had the mount prefix removed (like Express's app.use). */
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
  /** Queues its jobs run on (the host's Spool server must listen on them). */
  queues: string[];
  /** Releases what the example holds (not the Spool). */
  close(): Promise<void>;
}
