import type { SqliteConnection } from './sqlite-connection.js';

/** Most rows per `INSERT` statement: far below SQLite's limit of bound parameters, large enough to amortise a statement. */
const MAX_ROWS = 64;

/** The SQL of multi-row inserts into one table: one statement text per row count, built once. */
export class InsertShape {
  private readonly sql: string[] = [];
  private readonly head: string;
  private readonly row: string;

  constructor(
    readonly table: string,
    readonly columns: readonly string[],
  ) {
    this.row = `(${columns.map(() => '?').join(', ')})`;
    this.head = `INSERT INTO ${table} (${columns.join(', ')}) VALUES `;
  }

  /** The statement text that inserts `rows` rows (1 to 64). */
  sqlFor(rows: number): string {
    return (this.sql[rows] ??= this.head + Array.from({ length: rows }, () => this.row).join(', '));
  }
}

/**
 * Inserts many rows into one table with multi-row `INSERT` statements, each prepared once per
 * connection and row count: one statement per 64 rows instead of one per row. Values are flat, in
 * column order.
 */
export class RowInserter {
  private readonly values: unknown[] = [];
  private readonly width: number;

  constructor(
    private readonly conn: SqliteConnection,
    private readonly shape: InsertShape,
  ) {
    this.width = shape.columns.length;
  }

  /** Adds one row's values, in column order. */
  add(...row: unknown[]): void {
    for (const value of row) this.values.push(value);
    if (this.values.length === MAX_ROWS * this.width) this.flush();
  }

  /** Writes every pending row. */
  flush(): void {
    const rows = this.values.length / this.width;
    if (rows === 0) return;
    this.conn.stmt(this.shape.sqlFor(rows)).run(this.values);
    this.values.length = 0;
  }
}
