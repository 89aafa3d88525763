/**
 * @spool/s3: an S3-compatible object store (AWS S3, MinIO, Ceph, Cloudflare R2, ...) as Spool's
 * file store, through the AWS SDK. `spool` loads it when a file store URL starts with `s3://`.
 */
export { S3FileStore } from './s3-file-store.js';
export type { S3FileStoreOptions } from './s3-file-store.js';
export { s3FileStoreFromUrl, s3OptionsFromUrl, redactS3Url } from './s3-url.js';
export { translateS3Error } from './translate-error.js';
