import { ConfigError } from '../errors.js';
import type { ConfigProblem } from '../errors.js';
import type { Limits, LimitScope, LimitsOption, RateLimit } from './limits.js';
import { formatWindow } from './limits.js';

/**
 * Limits as an operator types them, in the CLI's flags or the dashboard's form: each field a text,
 * absent or blank when not given. A rate is `<count>/<window>` (`50/1s`, `100/1m`).
 */
export interface LimitsText {
  concurrency?: string | undefined;
  rate?: string | undefined;
  perKeyConcurrency?: string | undefined;
  perKeyRate?: string | undefined;
  /** `wait` or `skip`. */
  onLocked?: string | undefined;
  maxSize?: string | undefined;
}

/** What each field is called where it was typed (`--per-key-rate`, `per-key rate`), for the problems. */
export type LimitsTextLabels = Record<keyof LimitsText, string>;

/**
 * Reads typed limits into the option `spool.limits.set` takes. Only the form of each field is
 * checked here (a whole number, `<count>/<window>`), every problem at once; what the values mean
 * (ranges, a window's length, `skip` without a per-key concurrency) is for `resolveLimits` to say.
 */
export function limitsFromText(text: LimitsText, labels: LimitsTextLabels): LimitsOption {
  const problems: ConfigProblem[] = [];
  const given = (field: keyof LimitsText): string | undefined => {
    const value = text[field]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const whole = (field: keyof LimitsText): number | undefined => {
    const value = given(field);
    if (value === undefined) return undefined;
    if (/^\d{1,9}$/.test(value)) return Number(value);
    problems.push({ path: labels[field], message: `expected a whole number, got ${JSON.stringify(value)}` });
    return undefined;
  };
  const rate = (field: keyof LimitsText): { limit: number; per: string } | undefined => {
    const value = given(field);
    if (value === undefined) return undefined;
    const match = /^(\d{1,9})\s*\/\s*(\S+)$/.exec(value);
    if (match) return { limit: Number(match[1]), per: match[2]! };
    problems.push({ path: labels[field], message: `expected <count>/<window> such as 50/1s or 100/1m, got ${JSON.stringify(value)}` });
    return undefined;
  };
  const concurrency = whole('concurrency');
  const maxSize = whole('maxSize');
  const scopeRate = rate('rate');
  const perKeyConcurrency = whole('perKeyConcurrency');
  const perKeyRate = rate('perKeyRate');
  const onLocked = given('onLocked');
  if (onLocked !== undefined && onLocked !== 'wait' && onLocked !== 'skip') {
    problems.push({ path: labels.onLocked, message: `expected wait or skip, got ${JSON.stringify(onLocked)}` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const perKeyGiven = perKeyConcurrency !== undefined || perKeyRate !== undefined;
  return {
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(scopeRate ? { rate: scopeRate } : {}),
    ...(maxSize !== undefined ? { maxSize } : {}),
    // `wait` alone is the default and sets nothing; `skip` alone is kept so that resolveLimits says why it needs a concurrency.
    ...(perKeyGiven || onLocked === 'skip'
      ? {
          perKey: {
            ...(perKeyConcurrency !== undefined ? { concurrency: perKeyConcurrency } : {}),
            ...(perKeyRate ? { rate: perKeyRate } : {}),
            ...(onLocked !== undefined ? { onLocked: onLocked as 'wait' | 'skip' } : {}),
          },
        }
      : {}),
  };
}

/** Stored limits as the texts of {@link LimitsText}, to fill a form in (blank where not set). */
export function limitsAsText(limits: Limits | null): Required<{ [K in keyof LimitsText]: string }> {
  const rate = (r: RateLimit | null | undefined): string => (r ? `${r.limit}/${formatWindow(r.perMs)}` : '');
  const number = (n: number | null | undefined): string => (n === null || n === undefined ? '' : String(n));
  return {
    concurrency: number(limits?.concurrency),
    rate: rate(limits?.rate),
    perKeyConcurrency: number(limits?.perKey?.concurrency),
    perKeyRate: rate(limits?.perKey?.rate),
    onLocked: limits?.perKey?.onLocked ?? 'wait',
    maxSize: number(limits?.maxSize),
  };
}

/** A scope as typed: `queue:<name>` or `job:<name>`; a {@link ConfigError} at `where` otherwise. */
export function scopeFromText(text: string, where: string): LimitScope {
  const at = text.indexOf(':');
  const kind = text.slice(0, at);
  const name = text.slice(at + 1);
  if (at > 0 && name.length > 0 && kind === 'queue') return { queue: name };
  if (at > 0 && name.length > 0 && kind === 'job') return { job: name };
  throw new ConfigError([{ path: where, message: `expected a scope: queue:<name> or job:<name>, got ${JSON.stringify(text)}` }]);
}
