/**
 * What Spool logs through: any pino-compatible logger. pino itself fits untouched, as do bunyan-style
 * loggers and `console`. Each method takes the structured fields first and the message second.
 */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** Whether a value can serve as a {@link Logger}: an object with the four level methods. */
export function isLogger(value: unknown): value is Logger {
  if (typeof value !== 'object' || value === null) return false;
  return LEVELS.every((level) => typeof (value as Record<string, unknown>)[level] === 'function');
}

/** The option check for `logger`: null when fine, else what is wrong. */
export function checkLogger(value: unknown): string | null {
  if (isLogger(value)) return null;
  const missing = typeof value === 'object' && value !== null
    ? LEVELS.filter((level) => typeof (value as Record<string, unknown>)[level] !== 'function')
    : LEVELS;
  return `expected a logger with debug, info, warn and error methods (pino, or console), got ${value === null ? 'null' : typeof value}${typeof value === 'object' && value !== null ? ` without ${missing.join(', ')}` : ''}`;
}
