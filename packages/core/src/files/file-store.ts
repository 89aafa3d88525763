import type { Readable } from 'node:stream';

import { ConfigError } from '../errors.js';

/** What a file store knows of one file. */
export interface FileInfo {
  /** The file's key: slash-separated segments, e.g. `payloads/<job id>/args-1f3a.json`. */
  key: string;
  bytes: number;
  /** When the file was written (the store's clock). */
  modifiedAt: Date;
}

/** A file opened for reading: its stream and what the store knows of it. */
export interface OpenedFile extends FileInfo {
  /** The file's bytes; the caller reads it to the end or destroys it. */
  stream: Readable;
}

/** One page of a listing, in key order. */
export interface FileListPage {
  files: FileInfo[];
  /** Whether more keys follow the last one of this page. */
  more: boolean;
}

/**
 * Where Spool and an application keep files that are too large for a job's record: by-reference
 * job arguments and results (under `payloads/`), and the application's own files (uploads,
 * exports) under keys of its choosing. Two implementations: `FolderFileStore` (a local folder, in
 * `@spool/core`) and `S3FileStore` (any S3-compatible object store, in `@spool/s3`).
 *
 * Every write is whole or nothing: a reader sees the old file, the new file, or no file, never a
 * part. Reads of a missing file answer null, never throw. Every other failure is a
 * `FileStoreError` with `retryable`.
 */
export interface FileStore {
  /** What kind of store this is, e.g. `'folder'` or `'s3'`. */
  readonly kind: string;
  /** Where the files are, for logs and messages, without credentials: `file:./data/files`, `s3://bucket/prefix`. */
  readonly description: string;
  /** Writes a file from memory, replacing one of the same key. */
  put(key: string, data: Uint8Array, options?: PutOptions): Promise<FileInfo>;
  /** Writes a file from a file on the local disk (streamed, not read into memory), replacing one of the same key. */
  putFile(key: string, path: string, options?: PutOptions): Promise<FileInfo>;
  /** A file's bytes, or null when there is no such file. */
  get(key: string): Promise<Buffer | null>;
  /** A file opened as a stream, or null when there is no such file. */
  open(key: string): Promise<OpenedFile | null>;
  /** What the store knows of a file, or null when there is no such file. */
  head(key: string): Promise<FileInfo | null>;
  /** Removes files; keys that do not exist are skipped. */
  delete(keys: readonly string[]): Promise<void>;
  /** Lists files whose key starts with `prefix`, in key order, after `after` if given, at most `limit`. */
  list(params: { prefix: string; after?: string; limit: number }): Promise<FileListPage>;
  /** Releases connections; the store is not used afterwards. */
  close(): Promise<void>;
}

/** Options of a write. */
export interface PutOptions {
  /** The media type, kept where the store keeps one (S3's Content-Type). Default `application/octet-stream`. */
  contentType?: string;
}

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Longest key accepted: S3 allows 1024 bytes, and a folder's paths must stay well within the OS's limit. */
export const MAX_FILE_KEY_LENGTH = 512;

/**
 * Checks a file key: one or more segments of letters, digits, `.`, `_` and `-`, separated by `/`,
 * none starting with `.` (so no `..`, and nothing hidden), at most 512 characters. The same key
 * names the same file in every store, and never a path outside the store's folder or prefix.
 */
export function checkFileKey(key: unknown, where = 'file key'): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_FILE_KEY_LENGTH || !key.split('/').every((segment) => SEGMENT.test(segment))) {
    throw new ConfigError([
      {
        path: where,
        message: `expected segments of letters, digits, ".", "_" and "-" separated by "/", none starting with ".", at most ${MAX_FILE_KEY_LENGTH} characters; got ${JSON.stringify(key)}`,
      },
    ]);
  }
  return key;
}

/** Checks a listing prefix: empty, or a key prefix that ends with `/`. */
export function checkFilePrefix(prefix: string): string {
  if (prefix === '') return prefix;
  if (!prefix.endsWith('/')) throw new ConfigError([{ path: 'file prefix', message: `expected a prefix that ends with "/", got ${JSON.stringify(prefix)}` }]);
  checkFileKey(prefix.slice(0, -1), 'file prefix');
  return prefix;
}

/** Whether a value looks like a file store (the methods Spool calls). */
export function isFileStore(value: unknown): value is FileStore {
  if (typeof value !== 'object' || value === null) return false;
  const store = value as Record<string, unknown>;
  return ['put', 'putFile', 'get', 'open', 'head', 'delete', 'list', 'close'].every((name) => typeof store[name] === 'function');
}
