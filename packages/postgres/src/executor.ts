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
  /** Like {@link run}, each row an array of its values in column order: no object per row (the claim's many rows). */
  runArrays(sql: string, values?: readonly unknown[], prepared?: boolean): Promise<unknown[][]>;
}

/** A node-postgres query: named when prepared, rows as arrays when asked. */
export interface PgQueryConfig {
  text: string;
  values?: unknown[];
  name?: string;
  rowMode?: 'array';
}

/** The node-postgres query config for a statement. */
export function pgQuery(text: string, values: readonly unknown[] | undefined, prepared: boolean | undefined, arrays = false): PgQueryConfig {
  const config: PgQueryConfig = { text, values: values as unknown[] };
  if (prepared) config.name = statementName(text);
  if (arrays) config.rowMode = 'array';
  return config;
}

interface PgQueryable {
  query(config: PgQueryConfig): Promise<{ rows: unknown[] }>;
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
  unsafe(query: string, parameters?: unknown[]): PromiseLike<Row[]> & { values(): PromiseLike<unknown[][]> };
}

/** An executor over a node-postgres `Client`, `PoolClient` or `Pool`. */
export function pgExecutor(client: PgQueryable): Executor {
  return {
    run: async (text, values, prepared) => (await client.query(pgQuery(text, values, prepared))).rows as Row[],
    runArrays: async (text, values, prepared) => (await client.query(pgQuery(text, values, prepared, true))).rows as unknown[][],
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
      return {
        run: async (text, values) => [...(await sql.unsafe(text, values as unknown[]))],
        runArrays: async (text, values) => [...(await sql.unsafe(text, values as unknown[]).values())],
      };
    }
    if (typeof candidate.query === 'function') return pgExecutor(candidate as PgQueryable);
  }
  return null;
}
