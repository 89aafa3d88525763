import { EventEmitter } from 'node:events';

/**
 * A map of event names to the payload each carries. Deliberately without an index signature, so that
 * a misspelt event name (`'job:succeded'`) does not compile.
 */
export type EventMap = object;

/** A small typed wrapper over Node's EventEmitter. Listener errors never reach the emitter. */
export class TypedEmitter<Events extends EventMap> {
  private readonly emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  /** Adds a listener that runs once. */
  once<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): () => void {
    this.emitter.once(event, listener);
    return () => this.emitter.off(event, listener);
  }

  /** Removes a listener. */
  off<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): void {
    this.emitter.off(event, listener);
  }

  /** Calls every listener of `event`; an exception in a listener is reported, not thrown. */
  emit<E extends keyof Events & string>(event: E, payload: Events[E]): void {
    for (const listener of this.emitter.listeners(event)) {
      try {
        (listener as (p: Events[E]) => void)(payload);
      } catch (error) {
        process.emitWarning(`A listener of the Spool event "${event}" threw: ${String(error)}`, 'SpoolWarning');
      }
    }
  }

  /** Whether anyone listens to `event`. */
  hasListeners(event: keyof Events & string): boolean {
    return this.emitter.listenerCount(event) > 0;
  }
}
