/**
 * Paging of job lists in name order (`JobsListParams.order: 'name'`): by job name, newest first
 * within a name. The cursor is the last job's name and id. A page is read in at most two
 * index-ordered reads, so no storage sorts a whole state to serve a page:
 * 1. the rest of the cursor's name (`name = cursor.name AND id < cursor.id`, newest first), then,
 *    if the page is not full,
 * 2. the names after it (`name > cursor.name`, by name and newest first).
 */

/** Where a page in name order goes on from. */
export interface NameCursor {
  name: string;
  id: string;
}

/** One of the two reads of a page in name order (see the module's comment). */
export type NameOrderRead =
  | { part: 'same-name'; name: string; beforeId: string; limit: number }
  | { part: 'later-names'; afterName: string | null; limit: number };

/** Encodes a name-order cursor (opaque to callers, like the newest-first cursor). */
export function encodeNameCursor(cursor: NameCursor): string {
  return Buffer.from(JSON.stringify([cursor.name, cursor.id]), 'utf8').toString('base64url');
}

/** Decodes a name-order cursor; null for none, or for one that is not a name-order cursor (a page from the start). */
export function decodeNameCursor(cursor: string | null | undefined): NameCursor | null {
  if (!cursor) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') return { name: value[0], id: value[1] };
  } catch {
    // Not ours: read from the start.
  }
  return null;
}

/**
 * Reads one page in name order through `read` (which a storage answers with one query each) and
 * returns it with the next cursor. `identify` gives a row's name and id.
 */
export async function pageInNameOrder<Row>(
  cursor: string | null | undefined,
  limit: number,
  read: (request: NameOrderRead) => Promise<Row[]>,
  identify: (row: Row) => NameCursor,
): Promise<{ rows: Row[]; nextCursor: string | null }> {
  const after = decodeNameCursor(cursor);
  const wanted = Math.max(0, Math.floor(limit)) + 1;
  const rows = after === null ? [] : await read({ part: 'same-name', name: after.name, beforeId: after.id, limit: wanted });
  if (rows.length < wanted) rows.push(...(await read({ part: 'later-names', afterName: after?.name ?? null, limit: wanted - rows.length })));
  const page = rows.slice(0, wanted - 1);
  const nextCursor = rows.length === wanted && page.length > 0 ? encodeNameCursor(identify(page.at(-1)!)) : null;
  return { rows: page, nextCursor };
}

/** Compares jobs in name order: name by code units, then newest (greatest id) first. */
export function compareInNameOrder(a: NameCursor, b: NameCursor): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
