import type { ChildNode, Element } from 'domhandler';
import { isTag, isText } from 'domhandler';
import { parseDocument } from 'htmlparser2';
import { marked } from 'marked';

import type { DocumentFormat } from './document-format.js';

/** A stretch of text with one style. */
export interface Run {
  text: string;
  bold?: boolean;
  italic?: boolean;
  code?: boolean;
  /** An http(s) or mailto link. */
  link?: string;
}

/** One block of a document, the unit the PDF is laid out (and progress reported) in. */
export type Block =
  | { kind: 'heading'; level: number; runs: Run[] }
  /** A paragraph; `indent` counts list and quote levels, `marker` is a list item's bullet or number. */
  | { kind: 'paragraph'; runs: Run[]; indent: number; marker?: string; quote?: boolean }
  | { kind: 'code'; text: string; indent: number }
  /** A table: rows of cell texts, every row as long as the longest. */
  | { kind: 'table'; rows: Array<{ header: boolean; cells: string[] }> }
  | { kind: 'rule' };

/** A document read into blocks, with its title when it has one. */
export interface ParsedDocument {
  title: string | null;
  blocks: Block[];
}

/**
 * Reads a document into blocks. Markdown is turned into HTML by marked (GitHub flavour: tables,
 * lists, code) and read like HTML, so both share one reader; plain text is split into paragraphs at
 * blank lines, keeping its line breaks.
 */
export function parseDocumentBlocks(text: string, format: DocumentFormat): ParsedDocument {
  switch (format) {
    case 'text':
      return parseText(text);
    case 'markdown':
      return parseHtml(marked.parse(text, { async: false, gfm: true }));
    case 'html':
      return parseHtml(text);
    default: {
      const never: never = format;
      throw new TypeError(`Unknown document format ${String(never)}`);
    }
  }
}

function parseText(text: string): ParsedDocument {
  const blocks: Block[] = text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((paragraph) => paragraph.replace(/^\n+|\s+$/g, ''))
    .filter((paragraph) => paragraph.trim() !== '')
    .map((paragraph) => ({ kind: 'paragraph', runs: [{ text: paragraph }], indent: 0 }));
  return { title: null, blocks };
}

/** Elements whose content is not part of the document's text. */
const SKIPPED = new Set(['head', 'script', 'style', 'template', 'noscript', 'iframe', 'object', 'svg', 'canvas', 'button', 'select', 'input', 'textarea']);

/** Elements that start and end a paragraph of their own. */
const BLOCK_ELEMENTS = new Set([
  'p', 'div', 'section', 'article', 'header', 'footer', 'main', 'nav', 'aside', 'figure', 'figcaption',
  'address', 'details', 'summary', 'form', 'fieldset', 'legend', 'dl', 'dt', 'dd', 'caption', 'body', 'html',
]);

type Style = Omit<Run, 'text'>;
type Context = { style: Style; indent: number; quote: boolean };

function parseHtml(html: string): ParsedDocument {
  const document = parseDocument(html);
  const builder = new BlockBuilder();
  walk(document.children, { style: {}, indent: 0, quote: false }, builder);
  builder.flush({ indent: 0, quote: false });
  return { title: findTitle(document.children), blocks: builder.blocks };
}

function walk(nodes: readonly ChildNode[], ctx: Context, builder: BlockBuilder): void {
  for (const node of nodes) {
    if (isText(node)) builder.addText(node.data, ctx.style);
    else if (isTag(node)) element(node, ctx, builder);
  }
}

function element(node: Element, ctx: Context, builder: BlockBuilder): void {
  const name = node.name.toLowerCase();
  if (SKIPPED.has(name)) return;
  const heading = /^h([1-6])$/.exec(name);
  if (heading) {
    builder.flush(ctx);
    walk(node.children, ctx, builder);
    builder.flushHeading(Number(heading[1]));
    return;
  }
  switch (name) {
    case 'br':
      builder.addBreak();
      return;
    case 'hr':
      builder.flush(ctx);
      builder.blocks.push({ kind: 'rule' });
      return;
    case 'img': {
      const alt = node.attribs.alt?.trim();
      if (alt) builder.addText(`[${alt}]`, { ...ctx.style, italic: true });
      return;
    }
    case 'pre':
      builder.flush(ctx);
      builder.blocks.push({ kind: 'code', text: textOf(node.children).replace(/^\n/, '').replace(/\s+$/, ''), indent: ctx.indent });
      return;
    case 'blockquote':
      builder.flush(ctx);
      walk(node.children, { ...ctx, indent: ctx.indent + 1, quote: true }, builder);
      builder.flush({ ...ctx, indent: ctx.indent + 1, quote: true });
      return;
    case 'ul':
    case 'ol':
      builder.flush(ctx);
      listItems(node, name === 'ol', ctx, builder);
      return;
    case 'table':
      builder.flush(ctx);
      table(node, builder);
      return;
    case 'strong':
    case 'b':
      walk(node.children, { ...ctx, style: { ...ctx.style, bold: true } }, builder);
      return;
    case 'em':
    case 'i':
    case 'cite':
      walk(node.children, { ...ctx, style: { ...ctx.style, italic: true } }, builder);
      return;
    case 'code':
    case 'kbd':
    case 'samp':
    case 'tt':
      walk(node.children, { ...ctx, style: { ...ctx.style, code: true } }, builder);
      return;
    case 'a': {
      const href = node.attribs.href ?? '';
      const link = /^(https?:|mailto:)/i.test(href) ? href : ctx.style.link;
      walk(node.children, { ...ctx, style: { ...ctx.style, link } }, builder);
      return;
    }
  }
  if (BLOCK_ELEMENTS.has(name)) {
    builder.flush(ctx);
    walk(node.children, ctx, builder);
    builder.flush(ctx);
    return;
  }
  walk(node.children, ctx, builder);
}

function listItems(list: Element, ordered: boolean, ctx: Context, builder: BlockBuilder): void {
  let number = Number.parseInt(list.attribs.start ?? '1', 10);
  if (!Number.isFinite(number)) number = 1;
  const inner = { ...ctx, indent: ctx.indent + 1 };
  for (const child of list.children) {
    if (!isTag(child)) continue;
    if (child.name.toLowerCase() !== 'li') {
      element(child, inner, builder);
      continue;
    }
    builder.marker = ordered ? `${number}.` : ctx.indent % 2 === 0 ? '•' : '-';
    number += 1;
    walk(child.children, inner, builder);
    builder.flush(inner);
  }
}

/** A table's rows (from thead, tbody, tfoot or directly inside), each cell as plain text. */
function table(node: Element, builder: BlockBuilder): void {
  const rows: Array<{ header: boolean; cells: string[] }> = [];
  const collect = (parent: Element) => {
    for (const child of parent.children) {
      if (!isTag(child)) continue;
      const name = child.name.toLowerCase();
      if (name === 'thead' || name === 'tbody' || name === 'tfoot') collect(child);
      else if (name === 'caption') builder.addText(textOf(child.children), { bold: true });
      else if (name === 'tr') {
        const cells = child.children.filter((cell): cell is Element => isTag(cell) && /^t[hd]$/i.test(cell.name));
        if (cells.length === 0) continue;
        rows.push({
          header: cells.every((cell) => cell.name.toLowerCase() === 'th'),
          cells: cells.map((cell) => textOf(cell.children).replace(/\s+/g, ' ').trim()),
        });
      }
    }
  };
  collect(node);
  builder.flush({ indent: 0, quote: false });
  const columns = Math.max(0, ...rows.map((row) => row.cells.length));
  if (columns === 0) return;
  for (const row of rows) while (row.cells.length < columns) row.cells.push('');
  builder.blocks.push({ kind: 'table', rows });
}

function textOf(nodes: readonly ChildNode[]): string {
  return nodes.map((node) => (isText(node) ? node.data : isTag(node) ? (node.name === 'br' ? '\n' : textOf(node.children)) : '')).join('');
}

function findTitle(nodes: readonly ChildNode[]): string | null {
  for (const node of nodes) {
    if (!isTag(node)) continue;
    if (node.name.toLowerCase() === 'title') return textOf(node.children).replace(/\s+/g, ' ').trim() || null;
    const inner = findTitle(node.children);
    if (inner) return inner;
  }
  return null;
}

/** Collects inline runs and turns them into blocks at each block boundary. */
class BlockBuilder {
  readonly blocks: Block[] = [];
  /** The bullet or number of the list item whose first paragraph comes next. */
  marker: string | undefined;
  private runs: Run[] = [];

  /** Adds text outside `<pre>`: white space collapses to one space, as a browser shows it. */
  addText(text: string, style: Style): void {
    let collapsed = text.replace(/\s+/g, ' ');
    const last = this.runs.at(-1)?.text ?? '';
    if (last === '' || last.endsWith(' ') || last.endsWith('\n')) collapsed = collapsed.replace(/^ /, '');
    if (collapsed === '') return;
    const previous = this.runs.at(-1);
    if (previous && sameStyle(previous, style)) previous.text += collapsed;
    else this.runs.push({ ...clean(style), text: collapsed });
  }

  addBreak(): void {
    const previous = this.runs.at(-1);
    if (previous) previous.text = `${previous.text.replace(/ $/, '')}\n`;
  }

  /** Ends the current paragraph, if it has any text. */
  flush(ctx: { indent: number; quote: boolean }): void {
    const runs = this.take();
    if (runs.length === 0) return;
    const marker = this.marker;
    this.marker = undefined;
    this.blocks.push({ kind: 'paragraph', runs, indent: ctx.indent, ...(marker ? { marker } : {}), ...(ctx.quote ? { quote: true } : {}) });
  }

  flushHeading(level: number): void {
    const runs = this.take();
    if (runs.length > 0) this.blocks.push({ kind: 'heading', level, runs });
  }

  private take(): Run[] {
    const runs = this.runs;
    this.runs = [];
    const first = runs[0];
    const last = runs.at(-1);
    if (first) first.text = first.text.replace(/^\s+/, '');
    if (last) last.text = last.text.replace(/\s+$/, '');
    return runs.filter((run) => run.text !== '');
  }
}

function clean(style: Style): Style {
  return Object.fromEntries(Object.entries(style).filter(([, value]) => value !== undefined && value !== false)) as Style;
}

function sameStyle(run: Run, style: Style): boolean {
  return !!run.bold === !!style.bold && !!run.italic === !!style.italic && !!run.code === !!style.code && run.link === style.link;
}
