import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { FileInfo, FileListPage, FileStore, OpenedFile, PutOptions } from '@spool/core';
import { ConfigError, checkFileKey } from '@spool/core';

import { translateS3Error } from './translate-error.js';

/** Options of an {@link S3FileStore}. */
export interface S3FileStoreOptions {
  /** The bucket; it must exist. */
  bucket: string;
  /** A key prefix inside the bucket, ending with `/` (e.g. `'spool/'`), so that several applications share a bucket. Default `''`. */
  prefix?: string;
  /**
   * The endpoint of an S3-compatible server (MinIO, Ceph, R2, a local test server), e.g.
   * `'http://127.0.0.1:9000'`. Default: AWS S3 of `region`.
   */
  endpoint?: string;
  /** The region. Default `AWS_REGION`, else `'us-east-1'` (what most S3-compatible servers accept). */
  region?: string;
  /** Address buckets as a path (`endpoint/bucket/key`) instead of a host name. Default: true with an `endpoint`, false without. */
  forcePathStyle?: boolean;
  /** Credentials. Default: the AWS SDK's chain (`AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`, profiles, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** A client of your own, used as it is (and not destroyed by `close()`); `endpoint`, `region`, `forcePathStyle` and `credentials` are then ignored. */
  client?: S3Client;
}

/** Keys removed per DeleteObjects request: S3's limit. */
const DELETE_BATCH = 1000;

/**
 * A file store in an S3-compatible object store, through the AWS SDK (`@aws-sdk/client-s3`). A
 * key is an object key below `prefix`. An object appears whole when its upload completes, so a
 * reader never sees part of a file. What several machines share when they share no folder.
 *
 * ```ts
 * const files = new S3FileStore({ bucket: 'exports', prefix: 'spool/', endpoint: 'http://127.0.0.1:9000' });
 * ```
 */
export class S3FileStore implements FileStore {
  readonly kind = 's3';
  readonly description: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly #client: S3Client;
  readonly #ownClient: boolean;

  constructor(options: S3FileStoreOptions) {
    const problems = [];
    if (typeof options?.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
      problems.push({ path: 'S3FileStore options.bucket', message: `expected an S3 bucket name (3 to 63 lower-case letters, digits, "." and "-"), got ${JSON.stringify(options?.bucket)}` });
    }
    const prefix = options?.prefix ?? '';
    if (typeof prefix !== 'string' || (prefix !== '' && !prefix.endsWith('/'))) {
      problems.push({ path: 'S3FileStore options.prefix', message: `expected '' or a key prefix ending with "/", got ${JSON.stringify(prefix)}` });
    } else if (prefix !== '') {
      try {
        checkFileKey(prefix.slice(0, -1), 'S3FileStore options.prefix');
      } catch (error) {
        problems.push(...(error as ConfigError).problems);
      }
    }
    if (options?.endpoint !== undefined && !/^https?:\/\/[^/]+/.test(options.endpoint)) {
      problems.push({ path: 'S3FileStore options.endpoint', message: `expected an http:// or https:// URL, got ${JSON.stringify(options.endpoint)}` });
    }
    if (problems.length > 0) throw new ConfigError(problems);
    this.bucket = options.bucket;
    this.prefix = prefix;
    this.description = `s3://${options.bucket}/${prefix}${options.endpoint ? ` at ${options.endpoint}` : ''}`;
    this.#ownClient = options.client === undefined;
    this.#client =
      options.client ??
      new S3Client({
        region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
        ...(options.credentials ? { credentials: options.credentials } : {}),
        // Checksums only where S3 requires them: S3-compatible servers do not all accept the
        // trailing checksums of streamed uploads that the SDK adds by default.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
  }

  async put(key: string, data: Uint8Array, options: PutOptions = {}): Promise<FileInfo> {
    const objectKey = this.#key(key);
    try {
      await this.#client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: objectKey, Body: data, ContentLength: data.byteLength, ContentType: options.contentType ?? 'application/octet-stream' }),
      );
    } catch (error) {
      throw translateS3Error(error, `write "${objectKey}" in bucket ${this.bucket}`);
    }
    return { key, bytes: data.byteLength, modifiedAt: new Date() };
  }

  async putFile(key: string, path: string, options: PutOptions = {}): Promise<FileInfo> {
    const objectKey = this.#key(key);
    const { size } = await stat(path);
    try {
      // Streamed with its length known, so the SDK sends it as it is read: the file is never in memory whole.
      await this.#client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: objectKey, Body: createReadStream(path), ContentLength: size, ContentType: options.contentType ?? 'application/octet-stream' }),
      );
    } catch (error) {
      throw translateS3Error(error, `write "${objectKey}" in bucket ${this.bucket}`);
    }
    return { key, bytes: size, modifiedAt: new Date() };
  }

  async get(key: string): Promise<Buffer | null> {
    const opened = await this.open(key);
    if (opened === null) return null;
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of opened.stream) chunks.push(chunk as Buffer);
    } catch (error) {
      throw translateS3Error(error, `read "${this.#key(key)}" in bucket ${this.bucket}`);
    }
    return Buffer.concat(chunks);
  }

  async open(key: string): Promise<OpenedFile | null> {
    const objectKey = this.#key(key);
    try {
      const answer = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      // In Node.js the SDK answers a Readable (an IncomingMessage); anything else is read as a web stream.
      const body: unknown = answer.Body;
      const stream = body instanceof Readable ? body : Readable.fromWeb((body as { transformToWebStream(): WebReadableStream }).transformToWebStream());
      return { key, bytes: answer.ContentLength ?? 0, modifiedAt: answer.LastModified ?? new Date(0), stream };
    } catch (error) {
      const translated = translateS3Error(error, `read "${objectKey}" in bucket ${this.bucket}`);
      if (translated === null) return null;
      throw translated;
    }
  }

  async head(key: string): Promise<FileInfo | null> {
    const objectKey = this.#key(key);
    try {
      const answer = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return { key, bytes: answer.ContentLength ?? 0, modifiedAt: answer.LastModified ?? new Date(0) };
    } catch (error) {
      const translated = translateS3Error(error, `describe "${objectKey}" in bucket ${this.bucket}`);
      if (translated === null) return null;
      throw translated;
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    const objectKeys = keys.map((key) => this.#key(key));
    for (let i = 0; i < objectKeys.length; i += DELETE_BATCH) {
      const batch = objectKeys.slice(i, i + DELETE_BATCH);
      let answer;
      try {
        answer = await this.#client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
      } catch (error) {
        throw translateS3Error(error, `delete ${batch.length} objects in bucket ${this.bucket}`) ?? error;
      }
      const failed = (answer.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        const first = failed[0]!;
        throw translateS3Error(
          Object.assign(new Error(`${first.Code ?? 'Error'}: ${first.Message ?? ''}`), { name: first.Code ?? 'Error' }),
          `delete ${failed.length} of ${batch.length} objects in bucket ${this.bucket} (first: "${first.Key ?? ''}")`,
        );
      }
    }
  }

  async list(params: { prefix: string; after?: string; limit: number }): Promise<FileListPage> {
    const prefix = params.prefix === '' ? '' : checkFileKey(params.prefix.replace(/\/$/, ''), 'file prefix') + '/';
    try {
      // The first version of the listing: its `Marker` is a key to start after, which is how a
      // page goes on here, and every S3-compatible server answers it (some answer a truncated
      // ListObjectsV2 with continuation tokens they cannot make on current OpenSSL).
      const answer = await this.#client.send(
        new ListObjectsCommand({
          Bucket: this.bucket,
          Prefix: this.prefix + prefix,
          ...(params.after !== undefined ? { Marker: this.prefix + params.after } : {}),
          MaxKeys: Math.max(1, Math.min(1000, params.limit)),
        }),
      );
      const files = (answer.Contents ?? []).flatMap((object) =>
        object.Key === undefined ? [] : [{ key: object.Key.slice(this.prefix.length), bytes: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date(0) }],
      );
      return { files, more: answer.IsTruncated === true };
    } catch (error) {
      throw translateS3Error(error, `list "${this.prefix + prefix}" in bucket ${this.bucket}`) ?? error;
    }
  }

  async close(): Promise<void> {
    if (this.#ownClient) this.#client.destroy();
  }

  #key(key: string): string {
    return this.prefix + checkFileKey(key);
  }
}
