import type { CliIo } from './command.js';
import { count } from './format.js';

/** How often the status line is redrawn. */
const REDRAW_MS = 250;

/** What the worker's status line counts. */
export interface WorkerCounts {
  running: number;
  succeeded: number;
  failed: number;
  retried: number;
  requeued: number;
}

/**
 * A live one-line status on standard error (only when it is a terminal), redrawn in place; other
 * lines printed through {@link StatusLine.print} appear above it.
 */
export class StatusLine {
  private timer: NodeJS.Timeout | null = null;
  private visible = false;

  constructor(
    private readonly io: CliIo,
    private readonly render: () => string,
  ) {}

  /** Starts redrawing (no-op when standard error is not a terminal). */
  start(): void {
    if (!this.io.stderrIsTty || this.timer) return;
    this.draw();
    this.timer = setInterval(() => this.draw(), REDRAW_MS);
    this.timer.unref();
  }

  /** Prints a line on standard error above the status line. */
  print(line: string): void {
    this.erase();
    this.io.err(`${line}\n`);
    if (this.timer) this.draw();
  }

  /** Stops redrawing and removes the line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.erase();
  }

  private draw(): void {
    const text = this.render();
    const max = Math.max(20, this.io.columns - 1);
    this.io.err(`\r\x1b[2K${text.length > max ? text.slice(0, max) : text}`);
    this.visible = true;
  }

  private erase(): void {
    if (this.visible) this.io.err('\r\x1b[2K');
    this.visible = false;
  }
}

/** The status text: `running 3 · succeeded 1,204 · failed 2 · retried 17`. */
export function formatCounts(counts: WorkerCounts): string {
  const parts = [
    `running ${count(counts.running)}`,
    `succeeded ${count(counts.succeeded)}`,
    `failed ${count(counts.failed)}`,
    `retried ${count(counts.retried)}`,
  ];
  if (counts.requeued > 0) parts.push(`requeued ${count(counts.requeued)}`);
  return parts.join(' · ');
}
