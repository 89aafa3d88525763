import type { Duration } from 'spool';
import { parseDuration } from 'spool';

/** Server timings that follow from a lease time: renewal and rescue a few times per lease. */
export function leaseTimings(leaseTime: Duration): { leaseTime: number; leaseRenewInterval: number; rescueInterval: number } {
  const parsed = parseDuration(leaseTime);
  if (!parsed.ok) throw new RangeError(`leaseTime: ${parsed.message}`);
  const ms = Math.max(1000, parsed.ms);
  // A renewal well inside the lease, and a rescue sweep often enough that a dead host's jobs come
  // back soon after their lease ends; both capped at the server's defaults.
  return { leaseTime: ms, leaseRenewInterval: Math.min(10_000, Math.floor(ms / 3)), rescueInterval: Math.min(5000, Math.max(100, Math.floor(ms / 4))) };
}

/** Reads a whole number from the environment, or its default; exits the process with a message when it is not one. */
export function integerFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}
