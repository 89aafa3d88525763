import { execFile } from 'node:child_process';

/** What a benchmark child prints as its last line: jobs/s (and what else it measured), or latencies; or why it failed. */
export type ChildResult = { value: number; [more: string]: unknown } | { p50: number; p99: number } | { error: string };

/** Runs one benchmark child (`node` with `args`) and reads its last output line as JSON; a failure or a timeout is a result too. */
export function runChild<T extends ChildResult = ChildResult>(node: string, args: string[], timeoutMs: number): Promise<T | { error: string }> {
  return new Promise((resolve) => {
    execFile(node, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (error) return resolve({ error: error.killed ? `timed out after ${timeoutMs / 1000} s` : (error.message.split('\n')[0] ?? 'failed') });
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        resolve({ error: `unreadable output: ${line.slice(0, 80)}` });
      }
    });
  });
}
