import { describe, expect, it } from 'vitest';

import { parseDocumentBlocks } from '../src/document-blocks.js';
import { DocumentError, cleanFileName, decodeDocument, formatOf } from '../src/document-format.js';
import { exportSettingsFromEnv } from '../src/settings.js';
import { toWinAnsi } from '../src/win-ansi.js';

describe('reading documents into blocks', () => {
  it('reads Markdown headings, styled text, nested lists, quotes, tables, code and rules', () => {
    const { blocks } = parseDocumentBlocks(
      '# Title\n\nSome **bold**, *italic*, `code` and a [link](https://example.com).\n\n- one\n  - nested\n- two\n\n3. three\n\n> quoted\n\n| a | b |\n|---|---|\n| 1 |\n\n```\nx = 1\n```\n\n---\n',
      'markdown',
    );
    expect(blocks).toEqual([
      { kind: 'heading', level: 1, runs: [{ text: 'Title' }] },
      {
        kind: 'paragraph',
        indent: 0,
        runs: [
          { text: 'Some ' },
          { text: 'bold', bold: true },
          { text: ', ' },
          { text: 'italic', italic: true },
          { text: ', ' },
          { text: 'code', code: true },
          { text: ' and a ' },
          { text: 'link', link: 'https://example.com' },
          { text: '.' },
        ],
      },
      { kind: 'paragraph', indent: 1, marker: '•', runs: [{ text: 'one' }] },
      { kind: 'paragraph', indent: 2, marker: '-', runs: [{ text: 'nested' }] },
      { kind: 'paragraph', indent: 1, marker: '•', runs: [{ text: 'two' }] },
      { kind: 'paragraph', indent: 1, marker: '3.', runs: [{ text: 'three' }] },
      { kind: 'paragraph', indent: 1, quote: true, runs: [{ text: 'quoted' }] },
      { kind: 'table', rows: [{ header: true, cells: ['a', 'b'] }, { header: false, cells: ['1', ''] }] },
      { kind: 'code', indent: 0, text: 'x = 1' },
      { kind: 'rule' },
    ]);
  });

  it('reads HTML as a browser shows it: no script or style, white space collapsed, the title kept', () => {
    const parsed = parseDocumentBlocks(
      '<html><head><title> The  title </title><style>p{}</style></head><body><script>var secret = 1;</script><p>Two\n   words<br>next line</p><a href="javascript:alert(1)">not a link</a></body></html>',
      'html',
    );
    expect(parsed.title).toBe('The title');
    expect(parsed.blocks).toEqual([
      { kind: 'paragraph', indent: 0, runs: [{ text: 'Two words\nnext line' }] },
      { kind: 'paragraph', indent: 0, runs: [{ text: 'not a link' }] },
    ]);
  });

  it('reads plain text as paragraphs split at blank lines, keeping line breaks', () => {
    expect(parseDocumentBlocks('one\ntwo\r\n\r\n  \n\nthree\n', 'text').blocks).toEqual([
      { kind: 'paragraph', indent: 0, runs: [{ text: 'one\ntwo' }] },
      { kind: 'paragraph', indent: 0, runs: [{ text: 'three' }] },
    ]);
  });
});

describe('checking documents', () => {
  it('knows formats by extension, whatever their case', () => {
    expect(['a.md', 'b.MARKDOWN', 'c.html', 'd.HTM', 'e.txt', 'f.text'].map(formatOf)).toEqual(['markdown', 'markdown', 'html', 'html', 'text', 'text']);
    expect(() => formatOf('g.rtf')).toThrow(DocumentError);
  });

  it('accepts UTF-8 text with a byte-order mark and refuses what is not text', () => {
    expect(decodeDocument(Uint8Array.from([0xef, 0xbb, 0xbf, 0x68, 0x69]), 'a.txt')).toBe('hi');
    expect(() => decodeDocument(Uint8Array.from([0x68, 0xe9]), 'latin1.txt')).toThrow(/latin1\.txt is not valid UTF-8 text/);
    expect(() => decodeDocument(new TextEncoder().encode('line\nbell \u0007'), 'b.md')).toThrow(/U\+0007 on line 2/);
  });

  it('keeps only the last segment of a file name, without control characters', () => {
    expect(cleanFileName('C:\\Users\\ann\\report\u0000.md')).toBe('report.md');
    expect(cleanFileName('../../etc/passwd.txt')).toBe('passwd.txt');
  });
});

describe('text for the standard PDF fonts', () => {
  it('keeps Western European text and replaces what the fonts cannot show', () => {
    expect(toWinAnsi('Café “naïve” – 5 € …')).toBe('Café “naïve” – 5 € …');
    expect(toWinAnsi('Łódź ő Ω 日本\tend')).toBe('?ódz o ? ??    end');
  });
});

describe('settings from the environment', () => {
  it('applies defaults and reports every invalid value at once', () => {
    expect(exportSettingsFromEnv({})).toEqual({ storeDir: './data/exports', blockDelayMs: 150, maxUploadBytes: 5 * 1024 * 1024 });
    expect(() => exportSettingsFromEnv({ EXPORT_BLOCK_DELAY_MS: '-1', EXPORT_MAX_UPLOAD_BYTES: 'lots' })).toThrow(
      'Invalid document export settings: EXPORT_BLOCK_DELAY_MS: expected a whole number >= 0, got "-1"; EXPORT_MAX_UPLOAD_BYTES: expected a whole number >= 1, got "lots"',
    );
  });
});
