import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Which path a piece of work took: the in-memory queue or Spool. */
export type WorkPath = 'memory' | 'spool';

/** One finished piece of work. */
export type CompletedEntry = { via: WorkPath; id: string };

/**
 * Records finished work, as the work itself would leave a trace in the world (an email sent, a row
 * written): one line `<via> <id>` appended per completion. With a file it survives the process, so
 * a test can count after a crash what really was done; without one it only counts in memory.
 */
export class CompletedLog {
  private readonly counts: Record<WorkPath, number> = { memory: 0, spool: 0 };

  /** @param file Append-only file of completions, or null to keep counts in memory only. */
  constructor(readonly file: string | null) {
    if (file) mkdirSync(dirname(file), { recursive: true });
  }

  /** Records one completion. Synchronous, so the line is written before the work counts as done. */
  record(via: WorkPath, id: string): void {
    if (this.file) appendFileSync(this.file, `${via} ${id}\n`);
    this.counts[via] += 1;
  }

  /** Completions recorded by this process since it started, per path. */
  completedHere(): Readonly<Record<WorkPath, number>> {
    return { ...this.counts };
  }

  /** Every completion in the file, by every process that wrote to it. */
  static read(file: string): CompletedEntry[] {
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const [via, id] = line.split(' ') as [WorkPath, string];
        return { via, id };
      });
  }
}
