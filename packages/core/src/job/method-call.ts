import { ConfigError } from '../errors.js';

/** A class whose methods can be enqueued as jobs (Hangfire's expression style). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- constructor parameters are the class's own business
export type JobClass<T = object> = abstract new (...args: any[]) => T;

/** A captured call: which method, with which arguments. */
export interface CapturedCall {
  method: string;
  args: unknown[];
}

/**
 * Runs `call` against a recording stand-in of the instance and returns the one method call it made.
 * `(s) => s.send(to, subject)` gives `{ method: 'send', args: [to, subject] }`. The arguments are
 * evaluated now, in the caller, as Hangfire does.
 */
export function captureMethodCall<T extends object>(className: string, call: (instance: T) => unknown): CapturedCall {
  const calls: CapturedCall[] = [];
  const recorder = new Proxy({} as T, {
    get(_target, property) {
      if (typeof property !== 'string') return undefined;
      return (...args: unknown[]) => {
        calls.push({ method: property, args });
      };
    },
  });
  call(recorder);
  if (calls.length !== 1) {
    throw new ConfigError([
      {
        path: `${className} call`,
        message: `expected exactly one method call such as (s) => s.send(to, subject), got ${calls.length} calls`,
      },
    ]);
  }
  return calls[0]!;
}
