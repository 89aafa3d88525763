/** Human output helpers: aligned tables, relative times, JSON documents. */

/**
 * Renders rows as an aligned table with a header; the last column is not padded. Cells longer than
 * `maxCell` characters are cut with an ellipsis so one long value cannot break the layout.
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], maxCell = 60): string {
  const cut = (cell: string) => {
    const flat = cell.replace(/\s+/g, ' ');
    // A coloured cell is a short word (a state): cutting it could split an escape sequence.
    return visibleLength(flat) > maxCell && !ANSI_SGR.test(flat) ? `${flat.slice(0, maxCell - 1)}…` : flat;
  };
  const all = [headers.map((h) => h.toUpperCase()), ...rows.map((r) => r.map(cut))];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => visibleLength(r[i] ?? ''))));
  return all
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(Math.max(0, widths[i]! - visibleLength(cell)))))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The escape sequences that colour text (Select Graphic Rendition). */
// eslint-disable-next-line no-control-regex -- the escape character is what this pattern is for
const ANSI_SGR = /\u001b\[[0-9;]*m/;

/** The length of a text as a terminal shows it: without colour escape sequences. */
function visibleLength(text: string): number {
  return text.replace(new RegExp(ANSI_SGR.source, 'g'), '').length;
}

/** Renders label/value pairs with aligned values: `state     succeeded`. */
export function fields(pairs: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

/** A time relative to now: `just now`, `12s ago`, `5m ago`, `in 3h`, `2d ago`. `-` for null. */
export function relativeTime(at: Date | string | number | null | undefined, now: number): string {
  if (at === null || at === undefined) return '-';
  const ms = new Date(at).getTime() - now;
  if (Number.isNaN(ms)) return '-';
  const abs = Math.abs(ms);
  if (abs < 1000) return 'just now';
  const text = shortDuration(abs);
  return ms < 0 ? `${text} ago` : `in ${text}`;
}

/** A time as ISO text with its relative form: `2030-01-01T10:00:00.000Z (5m ago)`. */
export function timeWithRelative(at: Date | string | null | undefined, now: number): string {
  if (at === null || at === undefined) return '-';
  return `${new Date(at).toISOString()} (${relativeTime(at, now)})`;
}

/** A duration in its largest whole unit: `850ms`, `12s`, `5m`, `3h`, `2d`. */
export function shortDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Math.floor(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)}h`;
  return `${Math.floor(ms / 86_400_000)}d`;
}

/** A JSON value on one line, cut to `max` characters. */
export function inlineJson(value: unknown, max = 200): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One JSON document, pretty-printed, with a final newline. Dates become ISO strings. */
export function jsonDocument(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** A count with thousands separators: `12,345`. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}
