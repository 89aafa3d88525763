import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { HttpError } from '@spool-examples/web-kit';
import busboy from 'busboy';

import type { DocumentFormat } from './document-format.js';
import { ACCEPTED_EXTENSIONS, DocumentError, cleanFileName, decodeDocument, extensionOf, formatOf } from './document-format.js';
import type { DocumentStore, TempFile } from './document-store.js';
import { formatBytes } from './http-util.js';

/** The form field that carries the document. */
export const UPLOAD_FIELD = 'document';

/** Room for the multipart envelope (boundaries, part headers, small fields) around the file. */
const ENVELOPE_BYTES = 64 * 1024;

/** An upload that passed every check and is in the store. */
export interface StoredUpload {
  documentId: string;
  fileName: string;
  format: DocumentFormat;
  bytes: number;
}

/**
 * Receives a `multipart/form-data` upload with the document in the field `document`, checks it and
 * stores it as `uploads/<documentId>.<ext>`. The file is streamed to a temporary file and renamed
 * into place only after every check passed, so a refused or interrupted upload leaves nothing:
 *
 * - no file: 400 `missing_document`
 * - not multipart: 415 `unsupported_media_type`
 * - an extension other than .md, .markdown, .html, .htm, .txt, .text: 415 `unsupported_document`
 * - over `maxBytes`: 413 `document_too_large`
 * - not UTF-8 text (binary, damaged) or empty: 422 `corrupt_document` / `empty_document`
 */
export async function receiveUpload(req: IncomingMessage, store: DocumentStore, maxBytes: number): Promise<StoredUpload> {
  if (!/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) {
    throw new HttpError(415, 'unsupported_media_type', `Send the document as multipart/form-data in a field named "${UPLOAD_FIELD}", e.g. curl -F ${UPLOAD_FIELD}=@report.md.`);
  }
  // A declared length far over the limit is refused before reading a byte.
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes + ENVELOPE_BYTES) throw tooLarge(maxBytes, { connection: 'close' });

  const received = await readMultipart(req, store, maxBytes);
  const { temp } = received;
  try {
    if (received.problem) throw received.problem;
    if (!temp) throw new HttpError(400, 'missing_document', `Choose a document to upload (field "${UPLOAD_FIELD}").`);
    if (received.truncated) throw tooLarge(maxBytes);
    const bytes = await readFile(temp.path);
    decodeDocument(bytes, received.fileName);
    const documentId = store.newDocumentId();
    await temp.commit(store.uploadKey(documentId, received.format!), 'text/plain; charset=utf-8');
    return { documentId, fileName: received.fileName, format: received.format!, bytes: bytes.length };
  } catch (error) {
    await temp?.discard();
    throw asHttpError(error);
  }
}

type Received = { temp: TempFile | null; fileName: string; format: DocumentFormat | null; truncated: boolean; problem: unknown };

async function readMultipart(req: IncomingMessage, store: DocumentStore, maxBytes: number): Promise<Received> {
  const received: Received = { temp: null, fileName: '', format: null, truncated: false, problem: null };
  let writing: Promise<TempFile> | null = null;
  const parser = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { files: 1, fileSize: maxBytes, fields: 10, fieldSize: 1024, parts: 20 } });
  parser.on('file', (field, stream, info) => {
    // A form that ends early errors the file stream too, possibly after its data was written or
    // dropped; the parse itself reports the failure, so here the error is only kept from crashing.
    stream.on('error', () => undefined);
    if (field !== UPLOAD_FIELD || writing || received.problem) {
      stream.resume();
      return;
    }
    // Browsers send a file name as UTF-8 with `"` written as %22 (the HTML form encoding rules).
    received.fileName = cleanFileName((info.filename ?? '').replace(/%22/g, '"'));
    if (received.fileName === '') {
      stream.resume();
      return;
    }
    try {
      received.format = formatOf(received.fileName);
    } catch (error) {
      received.problem = error;
      stream.resume();
      return;
    }
    // Past the limit busboy stops passing data on (and flags the stream); the rest is read and dropped.
    stream.on('limit', () => (received.truncated = true));
    writing = store.writeTemp(stream, `${extensionOf(received.format)}.upload`);
    // Handled after the parse; this keeps an early failure from being reported as unhandled.
    writing.catch(() => undefined);
  });
  let parsed: unknown = null;
  // Without a declared length the body is counted: past the limit the rest is read and dropped, so
  // neither memory nor disk grows, and the client still gets its 413 (the server's request timeout
  // bounds how long a client may go on sending).
  const limit = byteLimit(maxBytes + ENVELOPE_BYTES);
  try {
    await pipeline(req, limit, parser);
  } catch (error) {
    parsed = error;
  }
  if (writing) {
    try {
      received.temp = await writing;
    } catch (error) {
      parsed ??= error;
    }
  }
  if (limit.overflowed) {
    await received.temp?.discard();
    throw tooLarge(maxBytes);
  }
  if (parsed) {
    await received.temp?.discard();
    if (parsed instanceof HttpError) throw parsed;
    throw new HttpError(400, 'bad_upload', `The upload could not be read: ${parsed instanceof Error ? parsed.message : String(parsed)}.`);
  }
  return received;
}

/** Passes the first `max` bytes on and drops the rest, noting that it did. */
function byteLimit(max: number): Transform & { overflowed: boolean } {
  let seen = 0;
  const limit = Object.assign(
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        seen += chunk.length;
        if (seen <= max) return callback(null, chunk);
        limit.overflowed = true;
        // End the parser's input at the limit: it reports a truncated form, which becomes the 413.
        if (seen - chunk.length < max) this.push(chunk.subarray(0, max - (seen - chunk.length)));
        callback();
      },
    }),
    { overflowed: false },
  );
  return limit;
}

function tooLarge(maxBytes: number, headers: Record<string, string> = {}): HttpError {
  return new HttpError(413, 'document_too_large', `The document is larger than the ${formatBytes(maxBytes)} limit. Upload a smaller document, or split it.`, headers);
}

function asHttpError(error: unknown): unknown {
  if (!(error instanceof DocumentError)) return error;
  switch (error.code) {
    case 'ERR_UNSUPPORTED_DOCUMENT':
      return new HttpError(415, 'unsupported_document', `${error.message} Accepted: ${ACCEPTED_EXTENSIONS.join(', ')}.`);
    case 'ERR_CORRUPT_DOCUMENT':
      return new HttpError(422, 'corrupt_document', error.message);
    case 'ERR_EMPTY_DOCUMENT':
      return new HttpError(422, 'empty_document', error.message);
    case 'ERR_DOCUMENT_MISSING':
      return new HttpError(400, 'missing_document', error.message);
    default: {
      const never: never = error.code;
      return new HttpError(400, 'bad_upload', `${String(never)}: ${error.message}`);
    }
  }
}
