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
    /** Whether this process leased the job after the moment `at` (the event is older than its run). */
    private readonly leasedAfter: (id: string, at: number) => boolean,
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
    const first = message.indexOf('\n');
    const second = message.indexOf('\n', first + 1);
    if (first < 0 || second < 0 || message.slice(0, first) === this.origin) return;
    const at = Number(message.slice(first + 1, second));
    // A job-state event can arrive after this process fetched the same job again (a rescue seen late:
    // pub/sub and commands travel on different connections). It is about the run before, not this
    // one: passing it on would abort a run that holds a valid lease.
    const events = parseEvents(message.slice(second + 1)).filter((e) => e.type !== 'job-state' || !this.leasedAfter(e.id, at));
    if (events.length > 0) this.emit(events);
  }
}
