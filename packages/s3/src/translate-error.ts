import { FileStoreError } from '@spool/core';

/** HTTP statuses after which the same request may pass: throttled, or the server failing for now. */
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** Error names of the SDK and Node.js for a request that never got an answer. */
const NETWORK_ERRORS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'NetworkingError', 'AbortError']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

/**
 * Translates an AWS SDK error into Spool's terms: null for a missing object (`NoSuchKey`, a 404 of
 * HEAD), else a `FileStoreError` that says whether the same call may pass later. The only place
 * in Spool that looks at the SDK's errors.
 */
export function translateS3Error(error: unknown, action: string): FileStoreError | null {
  if (error instanceof FileStoreError) return error;
  const e = (error ?? {}) as { name?: string; code?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown; cause?: { code?: string } };
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? e.Code ?? '';
  if (name === 'NoSuchKey' || (name === 'NotFound' && status === 404)) return null;
  const code = e.code ?? e.cause?.code ?? '';
  const retryable =
    e.$retryable !== undefined ||
    (status !== undefined && RETRYABLE_STATUS.has(status)) ||
    NETWORK_ERRORS.has(name) ||
    NETWORK_CODES.has(code) ||
    name === 'SlowDown' ||
    name === 'InternalError' ||
    name === 'ServiceUnavailable';
  const hint =
    name === 'NoSuchBucket'
      ? ' Create the bucket first, or check the bucket name.'
      : name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch'
        ? ' Check the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, or those in the s3:// URL) and the bucket policy.'
        : '';
  const what = `${name || 'Error'}${status !== undefined ? ` (HTTP ${status})` : ''}: ${e.message ?? String(error)}`;
  return new FileStoreError(`The S3 file store could not ${action}: ${what}.${hint}`, retryable, { cause: error });
}
