import { createHash } from 'node:crypto';

/** A row as a driver returns it: column name to value (bigints as strings). */
export type Row = Record<string, unknown>;

/**
 * Something that runs one parameterised statement and returns its rows: a pooled connection, the
 * caller's node-postgres client, or the caller's postgres.js transaction.
 */
export interface Executor {
  /** Runs a statement; `prepared` keeps its parsed form on the connection (for the hot path's fixed statements). */
  run(sql: string, values?: readonly unknown[], prepared?: boolean): Promise<Row[]>;
}

interface PgQueryable {
  query(config: { text: string; values?: unknown[]; name?: string }): Promise<{ rows: Row[] }>;
}

const names = new Map<string, string>();

/** A stable name for a prepared statement: node-postgres prepares it once per connection. */
export function statementName(sql: string): string {
  let name = names.get(sql);
  if (name === undefined) {
    name = `spool_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
    names.set(sql, name);
  }
  return name;
}

interface PostgresJsSql {
  unsafe(query: string, parameters?: unknown[]): PromiseLike<Row[]>;
}

/** An executor over a node-postgres `Client` or `PoolClient`. */
export function pgExecutor(client: PgQueryable): Executor {
  return {
    run: async (text, values, prepared) =>
      (await client.query(prepared ? { text, values: values as unknown[], name: statementName(text) } : { text, values: values as unknown[] })).rows,
  };
}

/**
 * An executor over the transaction handle a caller passes as `transaction`: a node-postgres
 * `Client`/`PoolClient` (it has `query`) or a postgres.js transaction `sql` (it has `unsafe`).
 * Null when the value is neither.
 */
export function externalExecutor(transaction: unknown): Executor | null {
  if (typeof transaction === 'function' || (typeof transaction === 'object' && transaction !== null)) {
    const candidate = transaction as Partial<PgQueryable & PostgresJsSql>;
    // postgres.js first: its `sql` is a function that also has `unsafe`.
    if (typeof candidate.unsafe === 'function') {
      const sql = candidate as PostgresJsSql;
      return { run: async (text, values) => [...(await sql.unsafe(text, values as unknown[]))] };
    }
    if (typeof candidate.query === 'function') return pgExecutor(candidate as PgQueryable);
  }
  return null;
}
