import type { SqliteConnection } from './sqlite-connection.js';

/** Rows per multi-row `INSERT`: far below SQLite's limit of bound parameters, large enough to amortise a statement. */
const CHUNK_ROWS = 64;

/** The SQL of a bulk insert into one table, built once per table. */
export class InsertShape {
  readonly single: string;
  readonly chunk: string;

  constructor(
    readonly table: string,
    readonly columns: readonly string[],
  ) {
    const row = `(${columns.map(() => '?').join(', ')})`;
    const head = `INSERT INTO ${table} (${columns.join(', ')}) VALUES `;
    this.single = head + row;
    this.chunk = head + Array.from({ length: CHUNK_ROWS }, () => row).join(', ');
  }
}

/**
 * Inserts many rows into one table with multi-row `INSERT` statements, each prepared once per
 * connection: one statement per 64 rows instead of one per row. Values are flat, in column order.
 */
export class RowInserter {
  private readonly values: unknown[] = [];
  private readonly chunkValues: number;

  constructor(
    private readonly conn: SqliteConnection,
    private readonly shape: InsertShape,
  ) {
    this.chunkValues = CHUNK_ROWS * shape.columns.length;
  }

  /** Adds one row's values, in column order. */
  add(...row: unknown[]): void {
    for (const value of row) this.values.push(value);
    if (this.values.length === this.chunkValues) this.flush();
  }

  /** Writes every pending row. */
  flush(): void {
    if (this.values.length === 0) return;
    if (this.values.length === this.chunkValues) {
      this.conn.stmt(this.shape.chunk).run(this.values);
    } else {
      const width = this.shape.columns.length;
      const single = this.conn.stmt(this.shape.single);
      for (let at = 0; at < this.values.length; at += width) single.run(this.values.slice(at, at + width));
    }
    this.values.length = 0;
  }
}
