/** Characters above U+00FF that the PDF standard fonts' WinAnsi encoding has (quotes, dashes, euro, ...). */
const WIN_ANSI_EXTRA = new Set('ƒ–—‘’‚“”„†‡•…€‰‹›ˆ™ŒœŠšŸŽž˜'.split(''));

/**
 * Text as the PDF standard fonts (Helvetica, Courier) can show it. They cover Western European
 * languages (WinAnsi); any other character is replaced by its base letter when it has one (ő -> o)
 * and by `?` otherwise, rather than by a wrong glyph. Other scripts need an embedded Unicode font.
 */
export function toWinAnsi(text: string): string {
  let out = '';
  for (const char of text) out += encodable(char) ? char : fallback(char);
  return out;
}

function encodable(char: string): boolean {
  const code = char.codePointAt(0)!;
  if (code === 0x0a) return true;
  return (code >= 0x20 && code < 0x7f) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRA.has(char);
}

function fallback(char: string): string {
  if (char === '\t') return '    ';
  if (char === '\r' || char === '\f') return '\n';
  if (/\s/u.test(char)) return ' ';
  const base = char.normalize('NFKD').replace(/\p{M}/gu, '');
  return base !== '' && [...base].every(encodable) ? base : '?';
}
