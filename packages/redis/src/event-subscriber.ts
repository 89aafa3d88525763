import type { Redis } from 'ioredis';

import type { StorageEvent } from '@spool/core';

import { parseEvents } from './event-payload.js';

/**
 * Receives the events every storage on the same prefix publishes (one message per script), on a
 * connection of its own (a subscribed connection can do nothing else). Messages of this storage
 * itself are skipped: it emitted them already, at once, when its script returned. ioredis reconnects
 * and subscribes again by itself; after a reconnection the subscriber announces every queue and the
 * earliest due time, because events published while it was away are lost (polling stays the
 * correctness path, this only spares the wait).
 */
export class EventSubscriber {
  private connected = false;

  constructor(
    private readonly connection: Redis,
    private readonly channel: string,
    private readonly origin: string,
    private readonly emit: (events: StorageEvent[]) => void,
    private readonly catchUp: () => Promise<StorageEvent[]>,
  ) {
    connection.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    connection.on('ready', () => {
      if (this.connected) void this.catchUp().then(this.emit, () => undefined);
      this.connected = true;
    });
    // Errors surface through the storage's own calls; an unhandled 'error' event would end the process.
    connection.on('error', () => undefined);
  }

  /** Subscribes (resolves once Redis confirmed). */
  async start(): Promise<void> {
    await this.connection.subscribe(this.channel);
    this.connected = true;
  }

  /** Closes the connection. */
  stop(): void {
    this.connection.disconnect();
  }

  private onMessage(channel: string, message: string): void {
    if (channel !== this.channel) return;
    const newline = message.indexOf('\n');
    if (newline < 0 || message.slice(0, newline) === this.origin) return;
    this.emit(parseEvents(message.slice(newline + 1)));
  }
}
