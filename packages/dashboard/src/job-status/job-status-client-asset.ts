import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The job status browser client's source and ETag, read once. */
let cached: { body: Buffer; etag: string } | null = null;

/** The browser client (`assets/job-status-client.js`, an ES module) as the handler serves it. */
export function jobStatusClientAsset(): { body: Buffer; etag: string } {
  if (cached === null) {
    const body = readFileSync(new URL('../../assets/job-status-client.js', import.meta.url));
    cached = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 12)}"` };
  }
  return cached;
}
