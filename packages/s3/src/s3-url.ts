import { ConfigError } from '@spool/core';

import type { S3FileStoreOptions } from './s3-file-store.js';
import { S3FileStore } from './s3-file-store.js';

/** Query parameters an `s3://` URL accepts. */
const URL_PARAMETERS = ['endpoint', 'region', 'forcePathStyle'] as const;

/**
 * Reads an `s3://` file store URL: `s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=eu-west-1`.
 * The path after the bucket is the key prefix (`/` is added when missing); `endpoint`, `region` and
 * `forcePathStyle` (`true` or `false`) are options of {@link S3FileStore}; `s3://KEY:SECRET@bucket`
 * gives credentials (URL-encoded), else the AWS SDK's chain finds them (`AWS_ACCESS_KEY_ID`, ...).
 */
export function s3OptionsFromUrl(url: string): S3FileStoreOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError([{ path: 'file store URL', message: `expected s3://bucket/prefix?endpoint=..., got ${JSON.stringify(redactS3Url(url))}` }]);
  }
  const problems = [];
  if (parsed.protocol !== 's3:') problems.push({ path: 'file store URL', message: `expected the s3: scheme, got ${JSON.stringify(parsed.protocol)}` });
  for (const key of parsed.searchParams.keys()) {
    if (!(URL_PARAMETERS as readonly string[]).includes(key)) problems.push({ path: `file store URL ?${key}`, message: `unknown parameter; known: ${URL_PARAMETERS.join(', ')}` });
  }
  const forcePathStyle = parsed.searchParams.get('forcePathStyle');
  if (forcePathStyle !== null && forcePathStyle !== 'true' && forcePathStyle !== 'false') {
    problems.push({ path: 'file store URL ?forcePathStyle', message: `expected true or false, got ${JSON.stringify(forcePathStyle)}` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const path = decodeURIComponent(parsed.pathname).replace(/^\/+/, '');
  const endpoint = parsed.searchParams.get('endpoint');
  const region = parsed.searchParams.get('region');
  return {
    bucket: parsed.hostname,
    prefix: path === '' ? '' : path.endsWith('/') ? path : `${path}/`,
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    ...(forcePathStyle !== null ? { forcePathStyle: forcePathStyle === 'true' } : {}),
    ...(parsed.username ? { credentials: { accessKeyId: decodeURIComponent(parsed.username), secretAccessKey: decodeURIComponent(parsed.password) } } : {}),
  };
}

/** An S3 file store from an `s3://` URL (see {@link s3OptionsFromUrl}). */
export function s3FileStoreFromUrl(url: string): S3FileStore {
  return new S3FileStore(s3OptionsFromUrl(url));
}

/** The URL with its credentials replaced by `***`, for logs and messages. */
export function redactS3Url(url: string): string {
  return url.replace(/^(s3:\/\/)[^@/]*@/i, '$1***@');
}
