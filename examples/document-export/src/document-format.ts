import { extname } from 'node:path';

/** The kinds of document the export reads. */
export type DocumentFormat = 'markdown' | 'html' | 'text';

/** Every accepted file extension and the format it means. */
export const EXTENSIONS: Readonly<Record<string, DocumentFormat>> = Object.freeze({
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.html': 'html',
  '.htm': 'html',
  '.txt': 'text',
  '.text': 'text',
});

/** The accepted extensions, for messages and the upload form's `accept` attribute. */
export const ACCEPTED_EXTENSIONS: readonly string[] = Object.keys(EXTENSIONS);

/** Codes of the ways a document can be refused. */
export type DocumentErrorCode = 'ERR_UNSUPPORTED_DOCUMENT' | 'ERR_CORRUPT_DOCUMENT' | 'ERR_EMPTY_DOCUMENT' | 'ERR_DOCUMENT_MISSING';

/** A document the export cannot read: its code says why, its message says what to do. */
export class DocumentError extends Error {
  constructor(
    readonly code: DocumentErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DocumentError';
  }
}

/** The format of a file name by its extension; DocumentError ERR_UNSUPPORTED_DOCUMENT otherwise. */
export function formatOf(fileName: string): DocumentFormat {
  const extension = extname(fileName).toLowerCase();
  const format = EXTENSIONS[extension];
  if (!format) {
    const got = extension === '' ? 'a file without an extension' : `a ${extension} file`;
    throw new DocumentError('ERR_UNSUPPORTED_DOCUMENT', `Got ${got}; upload Markdown (.md), HTML (.html) or plain text (.txt).`);
  }
  return format;
}

/** The extension stored files of a format get. */
export function extensionOf(format: DocumentFormat): string {
  switch (format) {
    case 'markdown':
      return '.md';
    case 'html':
      return '.html';
    case 'text':
      return '.txt';
    default: {
      const never: never = format;
      throw new TypeError(`Unknown document format ${String(never)}`);
    }
  }
}

/** Control characters that never occur in text: NUL to BS, VT, SO to US, DEL (tab, LF, FF and CR are fine). */
// eslint-disable-next-line no-control-regex
const BINARY_CONTROLS = /[\u0000-\u0008\u000B\u000E-\u001F\u007F]/;

/**
 * Reads a document's bytes as text. All three formats are text, so the bytes must be UTF-8 (a
 * byte-order mark is dropped) without the control characters that only binary data contains: a
 * PDF, an image or a Word file renamed to `.md` is refused here with ERR_CORRUPT_DOCUMENT, instead
 * of becoming a PDF full of garbage. An empty document is refused with ERR_EMPTY_DOCUMENT.
 */
export function decodeDocument(bytes: Uint8Array, fileName: string): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new DocumentError('ERR_CORRUPT_DOCUMENT', `${fileName} is not valid UTF-8 text: it looks damaged or binary. Save it as UTF-8 text and upload it again.`);
  }
  const control = BINARY_CONTROLS.exec(text);
  if (control) {
    const line = text.slice(0, control.index).split('\n').length;
    throw new DocumentError(
      'ERR_CORRUPT_DOCUMENT',
      `${fileName} contains binary data (control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} on line ${line}): it is not a text document.`,
    );
  }
  if (text.trim() === '') throw new DocumentError('ERR_EMPTY_DOCUMENT', `${fileName} is empty: there is nothing to export.`);
  return text;
}

/**
 * A file name as the user gave it, safe to store and show: the last path segment, without control
 * characters, at most 200 characters. Browsers send only the base name; other clients may send more.
 */
export function cleanFileName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001F\u007F]/g, '').trim();
  return clean.length > 200 ? clean.slice(clean.length - 200) : clean;
}
