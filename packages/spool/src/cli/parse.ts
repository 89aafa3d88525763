import { parseArgs } from 'node:util';

import { isJobState, JOB_STATES, parseDuration } from '@spool/core';
import { closest } from '@spool/core/storage-kit';
import type { JobState } from '@spool/core';

import type { Command, OptionSpec } from './command.js';
import { UsageError } from './command.js';

/** Options every storage command takes. */
export const STORAGE_OPTIONS: readonly OptionSpec[] = [
  { name: 'storage', type: 'string', value: 'url', description: 'Storage URL (default: $SPOOL_STORAGE, else sqlite:./data/spool.db)' },
  { name: 'files', type: 'string', value: 'url', description: 'File store of large arguments and results: file:<folder> or s3://bucket/prefix (default: $SPOOL_FILES, else none)' },
  { name: 'json', type: 'boolean', description: 'Machine output: one JSON document on stdout' },
];

/** The help option every command takes. */
export const HELP_OPTION: OptionSpec = { name: 'help', short: 'h', type: 'boolean', description: 'Show this help' };

/** Every option a command accepts: its own, then the common ones. */
export function allOptions(command: Command): OptionSpec[] {
  return [...command.options, ...(command.usesStorage === false ? [] : STORAGE_OPTIONS), HELP_OPTION];
}

/** Parsed flags: string or boolean values (arrays for `multiple` options), by long name. */
export type Flags = Record<string, string | boolean | string[] | undefined>;

/** A command line parsed against a command's options. */
export interface ParsedCommandLine {
  flags: Flags;
  positionals: string[];
}

/**
 * Parses a command's arguments with node:util's parseArgs, turning its errors into UsageErrors with a
 * "did you mean" for mistyped options.
 */
export function parseCommandLine(command: Command, args: readonly string[]): ParsedCommandLine {
  const specs = allOptions(command);
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const spec of specs) {
    options[spec.name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  const where = command.path.join(' ');
  try {
    const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return { flags: values as Flags, positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message);
    if (unknown) {
      const given = unknown[1]!.replace(/^-+/, '').split('=')[0]!;
      const suggestion = closest(given, specs.map((s) => s.name));
      throw new UsageError(`unknown option ${unknown[1]}${suggestion ? `; did you mean --${suggestion}?` : ''}`, where);
    }
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/s, ''), where);
  }
}

/** A string flag's value, or undefined. */
export function stringFlag(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' ? value : undefined;
}

/** An integer flag's value within bounds, or undefined; a UsageError otherwise. */
export function integerFlag(flags: Flags, name: string, where: string, bounds: { min?: number; max?: number } = {}): number | undefined {
  const text = stringFlag(flags, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = bounds;
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = bounds.min !== undefined && bounds.max !== undefined ? ` from ${min} to ${max}` : bounds.min !== undefined ? ` of ${min} or more` : '';
    throw new UsageError(`--${name} expects an integer${range}, got ${JSON.stringify(text)}`, where);
  }
  return value;
}

/** A duration flag's value (`'10m'`, `'30s'`, `500`) as given, after checking it parses. */
export function durationFlag(flags: Flags, name: string, where: string): string | undefined {
  const text = stringFlag(flags, name);
  if (text === undefined) return undefined;
  const parsed = parseDuration(text);
  if (!parsed.ok) throw new UsageError(`--${name}: ${parsed.message}`, where);
  return text;
}

/** A time flag's value (ISO 8601), or undefined; a UsageError for text that is not a time. */
export function timeFlag(flags: Flags, name: string, where: string): Date | undefined {
  const text = stringFlag(flags, name);
  if (text === undefined) return undefined;
  if (Number.isNaN(Date.parse(text))) throw new UsageError(`--${name} expects a time such as 2030-01-01T09:00:00Z, got ${JSON.stringify(text)}`, where);
  return new Date(text);
}

/** A JSON flag's parsed value, or undefined; a UsageError that says how to quote it otherwise. */
export function jsonFlag(flags: Flags, name: string, where: string): unknown {
  const text = stringFlag(flags, name);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`--${name} is not valid JSON (${reason}). Quote it for the shell: --${name} '{"key":"value"}'`, where);
  }
}

/** A comma-separated list flag (also repeatable), or undefined. */
export function listFlag(flags: Flags, name: string): string[] | undefined {
  const value = flags[name];
  const parts = (Array.isArray(value) ? value : typeof value === 'string' ? [value] : [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  return parts.length > 0 ? parts : undefined;
}

/** A job state flag, or undefined; a UsageError with the valid states otherwise. */
export function stateFlag(flags: Flags, name: string, where: string): JobState | undefined {
  const text = stringFlag(flags, name);
  if (text === undefined) return undefined;
  if (isJobState(text)) return text;
  const suggestion = closest(text, JOB_STATES);
  throw new UsageError(
    `--${name} expects one of ${JOB_STATES.join(', ')}, got ${JSON.stringify(text)}${suggestion ? `; did you mean ${suggestion}?` : ''}`,
    where,
  );
}

/** Checks the number of positional arguments. */
export function expectPositionals(positionals: readonly string[], names: readonly string[], where: string): void {
  if (positionals.length < names.length) {
    throw new UsageError(`missing ${names.slice(positionals.length).map((n) => `<${n}>`).join(' ')}`, where);
  }
  if (positionals.length > names.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[names.length])}`, where);
  }
}
