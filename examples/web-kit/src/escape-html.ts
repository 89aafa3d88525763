/** Escapes text for HTML content and quoted attribute values (`& < > " '` as numeric references). */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
