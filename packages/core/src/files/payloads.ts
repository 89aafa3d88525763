import { createHash, randomBytes } from 'node:crypto';

import { ArgsTooLargeError, FileStoreMissingError, PayloadCorruptError, PayloadMissingError } from '../errors.js';
import type { Json } from '../job/records.js';
import type { FileStore } from './file-store.js';

/**
 * The key of the one property of a value stored by reference. Job arguments or a result that are
 * an object with only this key are a reference: `{ "$spool:payload": { v: 1, file, bytes, sha256 } }`.
 * The client refuses arguments of that shape, so a reference is never an application's value.
 */
export const PAYLOAD_MARKER = '$spool:payload';

/** Where by-reference payloads live in a file store: `payloads/<job id>/<file>`. */
export const PAYLOAD_PREFIX = 'payloads/';

/** Which value of a job a payload holds. */
export type PayloadSlot = 'args' | 'result';

/** A by-reference payload as the job's record holds it. */
export interface PayloadReference {
  /** The file's name below `payloads/<job id>/`: `args-<random>.json` or `result-<random>.json`. */
  file: string;
  /** The size of the JSON text in bytes. */
  bytes: number;
  /** The SHA-256 of the JSON text, hex: a file that does not match is refused. */
  sha256: string;
}

/** Default size above which arguments and results are stored by reference: 64 KiB, far below every storage's limit. */
export const DEFAULT_OFFLOAD_ABOVE_BYTES = 64 * 1024;

/** Default largest by-reference payload: 64 MiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

const FILE_NAME = /^(?:args|result)-[0-9a-f]{16}\.json$/;

/** The reference a stored value holds, or null when the value is inline. */
export function payloadReference(value: unknown): PayloadReference | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const marked = (value as Record<string, unknown>)[PAYLOAD_MARKER];
  if (marked === undefined || Object.keys(value).length !== 1) return null;
  if (typeof marked !== 'object' || marked === null) return null;
  const { file, bytes, sha256 } = marked as Record<string, unknown>;
  if (typeof file !== 'string' || !FILE_NAME.test(file) || typeof bytes !== 'number' || typeof sha256 !== 'string') return null;
  return { file, bytes, sha256 };
}

/** Whether a value has the shape of a reference (an object whose only key is {@link PAYLOAD_MARKER}), valid or not. */
export function looksLikePayloadReference(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, PAYLOAD_MARKER) && Object.keys(value).length === 1;
}

/** The file store key of a job's payload: `payloads/<job id>/<file>`. */
export function payloadKey(jobId: string, reference: PayloadReference): string {
  return `${PAYLOAD_PREFIX}${jobId}/${reference.file}`;
}

/** The job id a payload key belongs to, or null for a key that is not a payload's. */
export function jobIdOfPayloadKey(key: string): string | null {
  const match = /^payloads\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/[^/]+$/.exec(key);
  return match ? match[1]! : null;
}

/** Options of by-reference payloads (`payloads` in Spool's options). */
export interface PayloadOptions {
  /**
   * Arguments and results whose JSON is larger than this many bytes are written to the file store,
   * and the job keeps a reference. Default 64 KiB (65536). At most `maxArgsBytes`.
   */
  offloadAboveBytes?: number;
  /** Largest payload stored by reference, as JSON bytes. Default 64 MiB. */
  maxBytes?: number;
}

/**
 * A job's large arguments and results in a file store: `store` writes a value above the threshold
 * to `payloads/<job id>/` and answers the reference to keep in its place; `resolve` reads a
 * reference back (checking size and digest), and leaves an inline value as it is. Each write has a
 * file name of its own, so two runs of one job never overwrite each other's result.
 */
export class Payloads {
  constructor(
    /** Where the payloads are written. */
    readonly files: FileStore,
    /** Values whose JSON is larger than this are stored by reference. */
    readonly offloadAboveBytes: number,
    /** Largest value stored by reference. */
    readonly maxBytes: number,
  ) {}

  /**
   * The value to keep in the job's record: the value itself when it is small, else a reference to
   * the file it was written to. `text` is its JSON when the caller has it already.
   */
  async store(jobId: string, slot: PayloadSlot, value: Json, text?: string): Promise<Json> {
    const json = text ?? JSON.stringify(value);
    // UTF-8 takes at most 3 bytes per UTF-16 unit: most values are decided without counting.
    if (json.length * 3 <= this.offloadAboveBytes) return value;
    const bytes = Buffer.from(json, 'utf8');
    if (bytes.length <= this.offloadAboveBytes) return value;
    if (bytes.length > this.maxBytes) throw new ArgsTooLargeError(bytes.length, this.maxBytes, 'payload');
    const reference: PayloadReference = {
      file: `${slot}-${randomBytes(8).toString('hex')}.json`,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
    await this.files.put(payloadKey(jobId, reference), bytes, { contentType: 'application/json' });
    return { [PAYLOAD_MARKER]: { v: 1, ...reference } } as Json;
  }

  /** The value a stored one stands for: read from the file store when it is a reference. */
  async resolve(jobId: string, slot: PayloadSlot, value: Json): Promise<Json> {
    const reference = payloadReference(value);
    if (reference === null) return value;
    return readPayload(this.files, jobId, slot, reference);
  }

  /** Removes the payload files a job's record refers to (after a write that created no job). */
  async discard(jobId: string, value: Json): Promise<void> {
    const reference = payloadReference(value);
    if (reference !== null) await this.files.delete([payloadKey(jobId, reference)]);
  }
}

/** Reads and checks a by-reference payload; throws PayloadMissingError or PayloadCorruptError. */
export async function readPayload(files: FileStore | null, jobId: string, slot: PayloadSlot, reference: PayloadReference): Promise<Json> {
  if (files === null) throw new FileStoreMissingError(jobId, slot);
  const key = payloadKey(jobId, reference);
  const bytes = await files.get(key);
  if (bytes === null) throw new PayloadMissingError(jobId, slot, key);
  if (bytes.length !== reference.bytes) throw new PayloadCorruptError(jobId, slot, key, `${bytes.length} bytes, expected ${reference.bytes}`);
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== reference.sha256) throw new PayloadCorruptError(jobId, slot, key, 'its SHA-256 differs');
  try {
    return JSON.parse(bytes.toString('utf8')) as Json;
  } catch (error) {
    throw new PayloadCorruptError(jobId, slot, key, `not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}
