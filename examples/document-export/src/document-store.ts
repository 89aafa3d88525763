import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { DocumentFormat } from './document-format.js';
import { extensionOf } from './document-format.js';

/*
 * The file store is one folder with three sub-folders:
 *
 *   <storeDir>/uploads/<documentId>.<md|html|txt>   uploaded documents, as received
 *   <storeDir>/exports/<documentId>.pdf             finished PDFs
 *   <storeDir>/tmp/                                 files being written; renamed into place when complete
 *
 * Only complete files ever appear in uploads/ and exports/: every file is written under a temporary
 * name in tmp/ (same file system, so the rename is atomic) and renamed when fully written. A file's
 * mtime is the time it was completed (the rename keeps the mtime of the last write), so a cleanup can
 * delete exports and uploads older than N days by mtime. Anything left in tmp/ is from a process that
 * died mid-write and can be deleted once it is older than the longest conversion.
 */

/** The folder of uploaded documents: `<storeDir>/uploads`. */
export function uploadsDir(storeDir: string): string {
  return join(storeDir, 'uploads');
}

/** The folder of finished PDFs, `<storeDir>/exports`: one `<documentId>.pdf` per export, mtime = when it was finished. */
export function exportsDir(storeDir: string): string {
  return join(storeDir, 'exports');
}

/** The folder of files being written, `<storeDir>/tmp`; never read by the app. */
export function tempDir(storeDir: string): string {
  return join(storeDir, 'tmp');
}

/** Document ids are UUIDs: they name files, so nothing else is accepted. */
const DOCUMENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether a value is a document id (a lower-case UUID), safe to use in a file name. */
export function isDocumentId(value: unknown): value is string {
  return typeof value === 'string' && DOCUMENT_ID.test(value);
}

/** A file being written under a temporary name: `commit()` moves it into place, `discard()` removes it. */
export interface TempFile {
  readonly path: string;
  /** Flushes the file to disk and renames it to `target` (atomic on one file system). */
  commit(target: string): Promise<void>;
  /** Removes the temporary file; safe to call when it does not exist. */
  discard(): Promise<void>;
}

/**
 * The document store: where uploads and exports live, and the only code that writes there. Jobs
 * carry a document id and find their files through it, never their contents.
 */
export class DocumentStore {
  constructor(readonly dir: string) {}

  /** Creates the store's folders (idempotent). */
  async ensure(): Promise<void> {
    for (const dir of [uploadsDir(this.dir), exportsDir(this.dir), tempDir(this.dir)]) await mkdir(dir, { recursive: true });
  }

  /** A new document id. */
  newDocumentId(): string {
    return randomUUID();
  }

  /** Where an uploaded document lives. */
  uploadPath(documentId: string, format: DocumentFormat): string {
    return join(uploadsDir(this.dir), `${checkId(documentId)}${extensionOf(format)}`);
  }

  /** Where a document's finished PDF lives. */
  exportPath(documentId: string): string {
    return join(exportsDir(this.dir), `${checkId(documentId)}.pdf`);
  }

  /** A new temporary file in the store (not created until written). */
  tempFile(suffix: string): TempFile {
    const path = join(tempDir(this.dir), `${randomUUID()}${suffix}`);
    return {
      path,
      async commit(target) {
        // fsync before the rename, so that a crash cannot leave a renamed but empty file.
        const handle = await open(path, 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(path, target);
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

  /** Size in bytes and mtime of a file, or null when it does not exist. */
  async fileInfo(path: string): Promise<{ bytes: number; modifiedAt: Date } | null> {
    try {
      const info = await stat(path);
      return { bytes: info.size, modifiedAt: info.mtime };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }
}

function checkId(documentId: string): string {
  if (!isDocumentId(documentId)) throw new TypeError(`Expected a document id (a UUID), got ${JSON.stringify(documentId)}`);
  return documentId;
}
