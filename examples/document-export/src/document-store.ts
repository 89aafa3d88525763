import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { FileInfo, FileStore, OpenedFile } from 'spool';
import { FolderFileStore } from 'spool';

import type { DocumentFormat } from './document-format.js';
import { extensionOf } from './document-format.js';

/*
 * Documents live in a file store (Spool's `FileStore`): a local folder on one machine, an object
 * store (S3, MinIO, ...) when web processes and workers run on different machines. Two prefixes:
 *
 *   uploads/<documentId>.<md|html|txt>   uploaded documents, as received
 *   exports/<documentId>.pdf             finished PDFs
 *
 * A file is first written to a local work folder (`<storeDir>/tmp/`), checked or completed there,
 * and only then put into the store, which makes it appear whole: a rename in a folder, one PUT in
 * an object store. A reader never sees half a file. Anything left in the work folder is from a
 * process that died mid-write and can be deleted once it is older than the longest conversion.
 * With the folder store, the store is `<storeDir>` itself, and a file's mtime is when it was
 * completed, so a cleanup can delete exports and uploads older than N days by mtime.
 */

/** The folder of uploaded documents in a folder store: `<storeDir>/uploads`. */
export function uploadsDir(storeDir: string): string {
  return join(storeDir, 'uploads');
}

/** The folder of finished PDFs in a folder store, `<storeDir>/exports`: one `<documentId>.pdf` per export. */
export function exportsDir(storeDir: string): string {
  return join(storeDir, 'exports');
}

/** The local folder of files being written, `<storeDir>/tmp`; never read by the app. */
export function tempDir(storeDir: string): string {
  return join(storeDir, 'tmp');
}

/** Document ids are UUIDs: they name files, so nothing else is accepted. */
const DOCUMENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether a value is a document id (a lower-case UUID), safe to use in a file name. */
export function isDocumentId(value: unknown): value is string {
  return typeof value === 'string' && DOCUMENT_ID.test(value);
}

/** A file being written under a temporary name: `commit()` puts it into the store, `discard()` removes it. */
export interface TempFile {
  readonly path: string;
  /** Puts the file into the store under `key` (whole or not at all) and removes the local copy. */
  commit(key: string, contentType?: string): Promise<FileInfo>;
  /** Removes the temporary file; safe to call when it does not exist. */
  discard(): Promise<void>;
}

/**
 * The document store: where uploads and exports live, and the only code that writes there. Jobs
 * carry a document id and find their files through it, never their contents.
 */
export class DocumentStore {
  /** Where the documents are: the given file store, or the folder `dir` itself. */
  readonly files: FileStore;

  /**
   * @param dir the local folder: work files go to `<dir>/tmp`; without `files`, it is the store too.
   * @param files the file store shared by every process (a folder or an object store).
   */
  constructor(
    readonly dir: string,
    files?: FileStore | null,
  ) {
    this.files = files ?? new FolderFileStore(dir);
  }

  /** Creates the local work folder (idempotent). */
  async ensure(): Promise<void> {
    await mkdir(tempDir(this.dir), { recursive: true });
  }

  /** A new document id. */
  newDocumentId(): string {
    return randomUUID();
  }

  /** The store key of an uploaded document: `uploads/<documentId>.<ext>`. */
  uploadKey(documentId: string, format: DocumentFormat): string {
    return `uploads/${checkId(documentId)}${extensionOf(format)}`;
  }

  /** The store key of a document's finished PDF: `exports/<documentId>.pdf`. */
  exportKey(documentId: string): string {
    return `exports/${checkId(documentId)}.pdf`;
  }

  /** A new temporary file in the local work folder (not created until written). */
  tempFile(suffix: string): TempFile {
    const path = join(tempDir(this.dir), `${randomUUID()}${suffix}`);
    const { files } = this;
    return {
      path,
      async commit(key, contentType) {
        try {
          return await files.putFile(key, path, contentType ? { contentType } : {});
        } finally {
          await rm(path, { force: true });
        }
      },
      discard: () => rm(path, { force: true }),
    };
  }

  /** Writes a stream to a temporary file; the file is removed if the stream fails. */
  async writeTemp(source: Readable, suffix: string): Promise<TempFile> {
    await this.ensure();
    const temp = this.tempFile(suffix);
    try {
      await pipeline(source, createWriteStream(temp.path, { flags: 'wx' }));
      return temp;
    } catch (error) {
      await temp.discard();
      throw error;
    }
  }

  /** A file's bytes, or null when it is not in the store. */
  async read(key: string): Promise<Buffer | null> {
    return this.files.get(key);
  }

  /** A file opened for download, or null when it is not in the store. */
  async open(key: string): Promise<OpenedFile | null> {
    return this.files.open(key);
  }

  /** Removes a file from the store (nothing when it is not there). */
  async remove(key: string): Promise<void> {
    await this.files.delete([key]);
  }
}

function checkId(documentId: string): string {
  if (!isDocumentId(documentId)) throw new TypeError(`Expected a document id (a UUID), got ${JSON.stringify(documentId)}`);
  return documentId;
}
