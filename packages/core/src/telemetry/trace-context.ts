import type { Json } from '../job/records.js';

/**
 * The job parameter that carries the enqueueing trace's context, in the W3C Trace Context format
 * (`traceparent`, and `tracestate` when there is one). A parameter, because every storage keeps a
 * job's parameters already: the trace travels across processes and storages without a change to
 * the storage contract.
 */
export const TRACE_CONTEXT_PARAMETER = 'spool.traceContext';

/** A span's identity, as W3C Trace Context spells it. */
export interface TraceIdentity {
  traceId: string;
  spanId: string;
  traceFlags: number;
  traceState?: string;
}

// Version 00 of https://www.w3.org/TR/trace-context/#traceparent-header; all-zero ids are invalid.
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The parameter value for a span. Written by Spool itself rather than by the application's global
 * propagator: a job's context must be readable by every server, whatever propagators the
 * enqueueing process registered (often none until the SDK is set up).
 */
export function formatTraceContext(identity: TraceIdentity): Json {
  const traceparent = `00-${identity.traceId}-${identity.spanId}-${(identity.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
  return identity.traceState ? { traceparent, tracestate: identity.traceState } : { traceparent };
}

/** The span identity a job's parameter carries, or null when it carries none or a malformed one. */
export function parseTraceContext(value: Json | undefined): TraceIdentity | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { traceparent, tracestate } = value;
  if (typeof traceparent !== 'string') return null;
  const match = TRACEPARENT.exec(traceparent);
  if (!match) return null;
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return null;
  const identity: TraceIdentity = { traceId, spanId, traceFlags: Number.parseInt(flags, 16) };
  if (typeof tracestate === 'string' && tracestate.length > 0) identity.traceState = tracestate;
  return identity;
}
