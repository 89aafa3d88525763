import type { FileStore } from '../files/file-store.js';
import type { PayloadSlot } from '../files/payloads.js';
import { payloadKey, payloadReference, readPayload } from '../files/payloads.js';
import { toErrorRecord } from '../job/error-record.js';
import type { JobPayloads, JobView, PayloadSummary } from '../job/job-view.js';

/** Options of `getJob`. */
export interface GetJobOptions {
  /**
   * Read arguments and a result stored by reference from the file store. Default true; false
   * leaves the references in place (cheaper, for a listing that shows only `payloads`' sizes).
   */
  resolvePayloads?: boolean;
}

const SLOTS: readonly PayloadSlot[] = ['args', 'result'];

/**
 * A job view whose by-reference arguments and result are read from the file store, with
 * `payloads` telling their keys and sizes. A payload that cannot be read stays the reference, and
 * its summary says why: a job whose file is gone is still shown with its state, history and error.
 */
export async function readJobPayloads(view: JobView, files: FileStore | null, options: GetJobOptions): Promise<JobView> {
  let payloads: JobPayloads | undefined;
  let out = view;
  for (const slot of SLOTS) {
    const reference = payloadReference(view[slot]);
    if (reference === null) continue;
    payloads ??= {};
    const summary: PayloadSummary = { key: payloadKey(view.id, reference), bytes: reference.bytes, error: null };
    payloads[slot] = summary;
    if (options.resolvePayloads === false) continue;
    try {
      const value = await readPayload(files, view.id, slot, reference);
      out = { ...out, [slot]: value };
    } catch (error) {
      summary.error = toErrorRecord(error);
    }
  }
  return payloads === undefined ? view : { ...out, payloads };
}
