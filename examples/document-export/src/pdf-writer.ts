import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

import PDFDocument from 'pdfkit';

import type { Block, ParsedDocument, Run } from './document-blocks.js';
import { toWinAnsi } from './win-ansi.js';

/** Options of {@link writePdf}. */
export interface WritePdfOptions {
  /** The PDF's title (document information). */
  title: string;
  /**
   * Called after each block is laid out, with the number done and the total. The writer waits for
   * it, so it can report progress, pace the work, or throw to stop (e.g. when the job is aborted).
   */
  onBlock?: (done: number, total: number) => Promise<void>;
}

/** What {@link writePdf} produced. */
export interface WrittenPdf {
  pages: number;
}

const MARGIN = 56;
const INDENT = 18;
const BODY_SIZE = 11;
const HEADING_SIZES = [22, 18, 15, 13, 12, 11];
const TEXT_COLOR = '#1f2328';
const MUTED_COLOR = '#6e7781';
const LINK_COLOR = '#0b5cad';

/**
 * Lays a parsed document out as an A4 PDF with pdfkit and writes it to `out`, block by block, with
 * page numbers. Uses the PDF standard fonts (Helvetica, Courier): no font files to ship, and every
 * PDF reader and text extractor knows them. Resolves once `out` has everything; on error the caller
 * discards what was written.
 */
export async function writePdf(document: ParsedDocument, out: Writable, options: WritePdfOptions): Promise<WrittenPdf> {
  const pdf = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, bottom: MARGIN, left: MARGIN, right: MARGIN },
    bufferPages: true,
    info: { Title: toWinAnsi(options.title), Creator: 'Spool document export' },
  });
  const written = finished(out);
  pdf.pipe(out);
  try {
    const total = document.blocks.length;
    let previous: Block | null = null;
    for (const [index, block] of document.blocks.entries()) {
      // List items sit close together; the block after a list gets the usual paragraph space.
      if (previous && isListItem(previous) && !isListItem(block)) pdf.moveDown(0.4);
      layoutBlock(pdf, block, index === 0);
      previous = block;
      await options.onBlock?.(index + 1, total);
    }
    const pages = addPageNumbers(pdf);
    pdf.end();
    await written;
    return { pages };
  } catch (error) {
    out.destroy();
    await written.catch(() => undefined);
    throw error;
  }
}

function layoutBlock(pdf: PDFKit.PDFDocument, block: Block, first: boolean): void {
  const left = pdf.page.margins.left;
  const width = pdf.page.width - pdf.page.margins.left - pdf.page.margins.right;
  switch (block.kind) {
    case 'heading': {
      if (!first) pdf.moveDown(block.level <= 2 ? 0.8 : 0.5);
      const size = HEADING_SIZES[block.level - 1] ?? BODY_SIZE;
      writeRuns(pdf, block.runs.map((run) => ({ ...run, bold: true })), left, width, size);
      if (block.level === 1) {
        const y = pdf.y + 3;
        pdf.moveTo(left, y).lineTo(left + width, y).lineWidth(0.75).strokeColor('#d0d7de').stroke();
        pdf.y = y;
      }
      pdf.moveDown(0.4);
      return;
    }
    case 'paragraph': {
      const x = left + block.indent * INDENT;
      const top = pdf.y;
      const page = pdf.page;
      if (block.marker) {
        pdf.font('Helvetica').fontSize(BODY_SIZE).fillColor(TEXT_COLOR);
        pdf.text(block.marker, x - INDENT, top, { width: INDENT - 4, lineBreak: false });
        pdf.y = top;
      }
      writeRuns(pdf, block.quote ? block.runs.map((run) => ({ ...run, italic: true })) : block.runs, x, width - (x - left), BODY_SIZE, block.quote ? MUTED_COLOR : TEXT_COLOR);
      if (block.quote && pdf.page === page) {
        pdf.moveTo(x - 9, top).lineTo(x - 9, pdf.y - 2).lineWidth(2).strokeColor('#d0d7de').stroke();
      }
      pdf.moveDown(block.marker ? 0.25 : 0.6);
      return;
    }
    case 'code': {
      const page = pdf.page;
      const x = left + block.indent * INDENT;
      const text = toWinAnsi(block.text);
      pdf.font('Courier').fontSize(9.5);
      const boxWidth = width - (x - left);
      const height = pdf.heightOfString(text, { width: boxWidth - 16 }) + 12;
      // The shaded box is drawn only when the block fits on the page; a longer one runs on without it.
      if (pdf.y + height <= pdf.page.height - pdf.page.margins.bottom) {
        pdf.rect(x, pdf.y, boxWidth, height).fillColor('#f3f4f6').fill();
      }
      const boxTop = pdf.y;
      pdf.fillColor(TEXT_COLOR).text(text, x + 8, boxTop + 6, { width: boxWidth - 16 });
      pdf.x = left;
      if (pdf.page === page) pdf.y = Math.max(pdf.y, boxTop + height);
      pdf.moveDown(0.8);
      return;
    }
    case 'table': {
      pdf.font('Helvetica').fontSize(10).fillColor(TEXT_COLOR);
      pdf.table({
        position: { x: left, y: pdf.y },
        maxWidth: width,
        defaultStyle: { border: 0.5, borderColor: '#d0d7de', padding: 5 },
        data: block.rows.map((row) =>
          row.cells.map((cell) => ({
            text: toWinAnsi(cell),
            ...(row.header ? { font: { src: 'Helvetica-Bold' }, backgroundColor: '#f3f4f6', type: 'TH' as const } : {}),
          })),
        ),
      });
      pdf.x = left;
      pdf.moveDown(0.8);
      return;
    }
    case 'rule': {
      pdf.moveDown(0.3);
      pdf.moveTo(left, pdf.y).lineTo(left + width, pdf.y).lineWidth(0.75).strokeColor('#d0d7de').stroke();
      pdf.moveDown(0.9);
      return;
    }
    default: {
      const never: never = block;
      throw new TypeError(`Unknown block ${JSON.stringify(never)}`);
    }
  }
}

function isListItem(block: Block): boolean {
  return block.kind === 'paragraph' && block.indent > 0 && !block.quote;
}

function writeRuns(pdf: PDFKit.PDFDocument, runs: readonly Run[], x: number, width: number, size: number, color = TEXT_COLOR): void {
  const visible = runs.map((run) => ({ ...run, text: toWinAnsi(run.text) })).filter((run) => run.text !== '');
  visible.forEach((run, i) => {
    const continued = i < visible.length - 1;
    pdf.font(fontOf(run)).fontSize(run.code ? size - 1 : size).fillColor(run.link ? LINK_COLOR : color);
    const style = { continued, lineGap: 2, link: run.link ?? null, underline: run.link !== undefined };
    if (i === 0) pdf.text(run.text, x, pdf.y, { ...style, width });
    else pdf.text(run.text, style);
  });
  pdf.x = pdf.page.margins.left;
}

function fontOf(run: Run): string {
  if (run.code) return run.bold ? 'Courier-Bold' : 'Courier';
  if (run.bold && run.italic) return 'Helvetica-BoldOblique';
  if (run.bold) return 'Helvetica-Bold';
  if (run.italic) return 'Helvetica-Oblique';
  return 'Helvetica';
}

/** Writes "n / N" at the foot of every page; returns the number of pages. */
function addPageNumbers(pdf: PDFKit.PDFDocument): number {
  const { start, count } = pdf.bufferedPageRange();
  for (let i = start; i < start + count; i += 1) {
    pdf.switchToPage(i);
    const bottom = pdf.page.margins.bottom;
    // Writing inside the bottom margin would start a new page; lift the margin while writing there.
    pdf.page.margins.bottom = 0;
    pdf.font('Helvetica').fontSize(8.5).fillColor(MUTED_COLOR);
    pdf.text(`${i - start + 1} / ${count}`, pdf.page.margins.left, pdf.page.height - bottom / 2 - 4, {
      width: pdf.page.width - pdf.page.margins.left - pdf.page.margins.right,
      align: 'center',
      lineBreak: false,
    });
    pdf.page.margins.bottom = bottom;
  }
  pdf.flushPages();
  return count;
}
