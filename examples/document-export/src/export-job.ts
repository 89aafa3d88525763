import { createWriteStream } from 'node:fs';
import { basename, extname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { FileStore, JobContext, JobDefinition } from 'spool';
import { defineJob, unrecoverable } from 'spool';

import { parseDocumentBlocks } from './document-blocks.js';
import type { DocumentFormat } from './document-format.js';
import { DocumentError, decodeDocument, extensionOf } from './document-format.js';
import { DocumentStore, isDocumentId } from './document-store.js';
import { writePdf } from './pdf-writer.js';

/** The name of the conversion job (stored with every job: keep it stable). */
export const EXPORT_JOB = 'documents.export-pdf';

/** The queue conversions run on; a server (in the web process or `spool worker`) must listen on it. */
export const EXPORT_QUEUE = 'document-export';

/**
 * Arguments of a conversion: a reference to the uploaded file, never its contents. Job arguments
 * are stored with the job and read on every status request; a document of megabytes there would
 * weigh on the storage, and would be copied on every retry.
 */
export type ExportArgs = {
  /** The upload's id: the file is `uploads/<documentId>.<ext>` in the store. */
  documentId: string;
  /** The name the user uploaded, for the PDF's title and download name. */
  fileName: string;
  format: DocumentFormat;
};

/** Result of a conversion: where the PDF is, never the PDF itself. */
export type ExportResult = {
  documentId: string;
  /** The PDF's key in the file store: `exports/<documentId>.pdf`. */
  pdf: string;
  /** The name to download it as, e.g. `report.pdf`. */
  downloadName: string;
  bytes: number;
  pages: number;
  blocks: number;
};

/** Default pause after each laid-out block, see {@link ExportJobOptions.blockDelayMs}. */
export const DEFAULT_BLOCK_DELAY_MS = 150;

/** The pauses of one conversion add up to at most this, whatever the document's length. */
export const MAX_PACING_MS = 3000;

/** Options of the conversion job. */
export interface ExportJobOptions {
  /** The local folder: work files go to `<storeDir>/tmp`; without `files` it is the file store too (see `document-store.ts`). */
  storeDir: string;
  /** The file store shared with the web processes (a folder or an object store). Default: the folder `storeDir`. */
  files?: FileStore | null;
  /**
   * Pause after each laid-out block, in milliseconds; the pauses of one document add up to at most
   * 3 s. Default 150. A real converter is slow on real documents (fonts, images, many pages), this
   * one takes milliseconds: the pause lets a person see what the pattern is for, a progress bar that
   * moves, on a document of a few paragraphs (a typical page of 15 to 20 blocks takes 2 to 3 s).
   * Set 0 to convert at full speed.
   */
  blockDelayMs?: number;
}

/** The stage boundaries of the progress: reading and parsing, laying out every block, writing. */
const PARSED = 5;
const LAID_OUT = 95;

/**
 * Defines the conversion job: reads the uploaded document from the store, lays it out as a PDF
 * block by block (reporting progress), and writes the PDF under a temporary name, renamed into
 * `exports/` only when complete. A failed or aborted conversion leaves no PDF behind. A document
 * that cannot be read fails at once (no retry will make it readable); other errors (a full disk)
 * are retried twice.
 */
export function defineExportJob(options: ExportJobOptions): JobDefinition<ExportArgs, ExportResult> {
  const store = new DocumentStore(options.storeDir, options.files);
  const blockDelayMs = options.blockDelayMs ?? DEFAULT_BLOCK_DELAY_MS;
  if (!(Number.isFinite(blockDelayMs) && blockDelayMs >= 0)) {
    throw new RangeError(`blockDelayMs: expected a number of milliseconds >= 0, got ${String(options.blockDelayMs)}`);
  }
  return defineJob<ExportArgs, ExportResult>(
    EXPORT_JOB,
    async (args, ctx) => {
      try {
        return await convert(store, checkArgs(args), blockDelayMs, ctx);
      } catch (error) {
        throw error instanceof DocumentError ? unrecoverable(error) : error;
      }
    },
    { queue: EXPORT_QUEUE, attempts: 3, backoff: { type: 'fixed', delay: '2s' }, timeout: '5m' },
  );
}

async function convert(store: DocumentStore, args: ExportArgs, blockDelayMs: number, ctx: JobContext): Promise<ExportResult> {
  await store.ensure();
  await ctx.progress(0);
  const document = parseDocumentBlocks(decodeDocument(await readUpload(store, args), args.fileName), args.format);
  if (document.blocks.length === 0) throw new DocumentError('ERR_EMPTY_DOCUMENT', `${args.fileName} has no text to export.`);
  await ctx.progress(PARSED);
  ctx.log.info(`${args.fileName}: ${document.blocks.length} blocks to lay out`);

  const delayMs = Math.min(blockDelayMs, MAX_PACING_MS / document.blocks.length);
  const target = store.exportKey(args.documentId);
  const temp = store.tempFile('.pdf');
  let reported: number = PARSED;
  try {
    const { pages } = await writePdf(document, createWriteStream(temp.path, { flags: 'wx' }), {
      title: document.title ?? args.fileName,
      onBlock: async (done, total) => {
        ctx.signal.throwIfAborted();
        // One storage write per percent at most, however many blocks the document has.
        const percent = PARSED + Math.floor(((LAID_OUT - PARSED) * done) / total);
        if (percent !== reported) await ctx.progress((reported = percent));
        // An aborted pause rejects with a generic AbortError; the signal's reason says why (timeout, shutdown).
        if (delayMs > 0) await sleep(delayMs, undefined, { signal: ctx.signal }).catch((error: unknown) => Promise.reject(ctx.signal.aborted ? ctx.signal.reason : error));
      },
    });
    // Into the shared store only when complete: a download never sees half a PDF.
    const info = await temp.commit(target, 'application/pdf');
    await ctx.progress(100);
    ctx.log.info(`${args.fileName}: ${pages} page(s), ${info.bytes} bytes`);
    return {
      documentId: args.documentId,
      pdf: target,
      downloadName: pdfName(args.fileName),
      bytes: info.bytes,
      pages,
      blocks: document.blocks.length,
    };
  } catch (error) {
    await temp.discard();
    throw error;
  }
}

async function readUpload(store: DocumentStore, args: ExportArgs): Promise<Buffer> {
  const bytes = await store.read(store.uploadKey(args.documentId, args.format));
  if (bytes === null) {
    throw new DocumentError('ERR_DOCUMENT_MISSING', `The uploaded document ${args.fileName} (${args.documentId}${extensionOf(args.format)}) is no longer in the store; upload it again.`);
  }
  return bytes;
}

/** Checks job arguments: they come from storage, and name files. */
function checkArgs(args: unknown): ExportArgs {
  const { documentId, fileName, format } = (args ?? {}) as Partial<ExportArgs>;
  const problems: string[] = [];
  if (!isDocumentId(documentId)) problems.push(`documentId: expected a UUID, got ${JSON.stringify(documentId)}`);
  if (typeof fileName !== 'string' || fileName === '') problems.push(`fileName: expected a file name, got ${JSON.stringify(fileName)}`);
  if (format !== 'markdown' && format !== 'html' && format !== 'text') problems.push(`format: expected markdown, html or text, got ${JSON.stringify(format)}`);
  if (problems.length > 0) throw unrecoverable(new TypeError(`Invalid ${EXPORT_JOB} arguments: ${problems.join('; ')}`));
  return { documentId: documentId!, fileName: fileName!, format: format! };
}

/** `report.md` -> `report.pdf`. */
export function pdfName(fileName: string): string {
  const base = basename(fileName, extname(fileName)) || 'document';
  return `${base}.pdf`;
}
