import type { CliIo } from './command.js';
import { count } from './format.js';

/** Shortest time between two redraws, so a fast loop does not flood the terminal. */
const REDRAW_MS = 100;

/**
 * A one-line progress bar on standard error, drawn only when it is a terminal:
 * `[##########..........]  50%  12,000 jobs`.
 */
export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly io: CliIo,
    /** The total the progress is measured against (e.g. file bytes); 0 when unknown. */
    private readonly total: number,
    private readonly unit: string,
  ) {}

  /** Updates the bar to `done` of the total, with `items` counted so far. */
  update(done: number, items: number, force = false): void {
    if (!this.io.stderrIsTty) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.drawn = true;
    const label = `${count(items)} ${this.unit}`;
    if (this.total <= 0) {
      this.io.err(`\r\x1b[2K${label}`);
      return;
    }
    const ratio = Math.min(1, Math.max(0, done / this.total));
    const width = Math.max(10, Math.min(40, this.io.columns - label.length - 12));
    const filled = Math.round(ratio * width);
    this.io.err(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%  ${label}`);
  }

  /** Clears the bar so the next line starts clean. */
  clear(): void {
    if (this.drawn) this.io.err('\r\x1b[2K');
    this.drawn = false;
  }
}
