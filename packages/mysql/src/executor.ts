import type { Connection, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';

/** A row as the driver returns it: column name to value (BIGINT as numbers, sums as decimal strings). */
export type Row = Record<string, unknown>;

/**
 * Something that runs one statement with `?` placeholders: a pooled connection of the storage, or
 * the application's own connection inside its transaction. Values are escaped by the driver; an
 * array becomes a list (`IN (?)`), an array of arrays a list of rows (`VALUES ?`).
 */
export interface Executor {
  /** Runs a statement that returns rows. */
  rows(sql: string, values?: readonly unknown[]): Promise<Row[]>;
  /** Runs a statement that changes rows; returns how many it changed and the first AUTO_INCREMENT value drawn. */
  exec(sql: string, values?: readonly unknown[]): Promise<{ affectedRows: number; insertId: number }>;
}

/** One statement and its values, to run later (e.g. together with others in one round trip). */
export type Statement = [sql: string, values: unknown[]];

type Queryable = Pick<Connection | PoolConnection, 'query'>;

/** An executor over a mysql2 promise connection. */
export function connectionExecutor(connection: Queryable): Executor {
  return {
    rows: async (sql, values) => {
      const [rows] = await connection.query<RowDataPacket[]>(sql, values as unknown[]);
      return rows as Row[];
    },
    exec: async (sql, values) => {
      const [header] = await connection.query<ResultSetHeader>(sql, values as unknown[]);
      return { affectedRows: header.affectedRows, insertId: header.insertId };
    },
  };
}

/**
 * An executor over the connection a caller passes as `transaction`: a mysql2 promise connection
 * (`mysql2/promise`: `query` returns a promise) or a callback connection (`mysql2`: it has
 * `promise()`). Null when the value is neither.
 */
export function externalExecutor(transaction: unknown): Executor | null {
  if (typeof transaction !== 'object' || transaction === null) return null;
  const candidate = transaction as { query?: unknown; promise?: unknown; execute?: unknown };
  // The callback API's connection has promise() and returns a Query object from query().
  if (typeof candidate.promise === 'function' && typeof candidate.query === 'function' && !('connection' in candidate)) {
    return connectionExecutor((candidate.promise as () => Queryable).call(candidate));
  }
  if (typeof candidate.query === 'function' && typeof candidate.execute === 'function') return connectionExecutor(candidate as Queryable);
  return null;
}
