import type { FileStore } from '@spool/core';
import { ConfigError, FolderFileStore, isFileStore } from '@spool/core';

import { loadS3Driver } from './storage-drivers.js';

/** Examples of the file store URLs {@link resolveFileStore} opens. */
export const FILE_STORE_URL_EXAMPLES = ['file:./data/files', 's3://bucket/prefix?endpoint=http://127.0.0.1:9000'] as const;

/**
 * Opens the file store a URL names, or returns a file store object as it is:
 *
 * - `file:<folder>`: a local folder (`FolderFileStore`), relative to the current directory. One
 *   machine, any number of processes on it.
 * - `s3://bucket/prefix?endpoint=...&region=...`: any S3-compatible object store (`S3FileStore`
 *   from `@spool/s3`, loaded only now; `ERR_FILE_STORE_DRIVER_MISSING` names it when it is not
 *   installed). Credentials from `s3://KEY:SECRET@bucket` or the AWS SDK's chain.
 */
export function resolveFileStore(files: string | FileStore): FileStore {
  if (typeof files !== 'string') {
    if (isFileStore(files)) return files;
    throw new ConfigError([{ path: 'files', message: `expected a file store or a URL such as ${FILE_STORE_URL_EXAMPLES.join(' or ')}` }]);
  }
  if (files.startsWith('file:')) {
    const folder = files.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
    if (folder.trim() === '') throw new ConfigError([{ path: 'files', message: `expected a folder after "file:" (e.g. file:./data/files), got ${JSON.stringify(files)}` }]);
    return new FolderFileStore(folder);
  }
  if (files.startsWith('s3://')) return loadS3Driver('s3://').s3FileStoreFromUrl(files);
  throw new ConfigError([{ path: 'files', message: `expected a file store URL such as ${FILE_STORE_URL_EXAMPLES.join(' or ')}, got ${JSON.stringify(redactFileStoreUrl(files))}` }]);
}

/** A file store URL with its credentials hidden, for messages and logs. */
export function redactFileStoreUrl(url: string): string {
  return url.replace(/^([a-z0-9+.-]+:\/\/)[^@/]*@/i, '$1***@');
}
