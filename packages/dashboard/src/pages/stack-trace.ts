import { fileURLToPath } from 'node:url';

import type { SafeHtml } from '../html.js';
import { html } from '../html.js';

/** Whose code a stack frame runs: the application's, Spool's own, or Node.js's internals. */
export type FrameOwner = 'application' | 'spool' | 'node';

/**
 * Where Spool's core is installed, as a path and as a file URL (ES module frames print URLs), found
 * by resolving the package itself: right for a monorepo checkout, `node_modules` and bundled copies
 * alike. Storages' and the facade's frames are recognised by their package names.
 */
const CORE_ROOTS: readonly string[] = (() => {
  try {
    const root = new URL('..', import.meta.resolve('@spool/core'));
    return [root.href, fileURLToPath(root)];
  } catch {
    return [];
  }
})();

const SPOOL_PACKAGE = /[/\\]node_modules[/\\](?:@spool[/\\][a-z-]+|spool)[/\\]/;

/** Who owns one line of a stack trace (lines that are not frames count as the application's). */
export function frameOwner(line: string): FrameOwner {
  if (!/^\s*at /.test(line)) return 'application';
  if (/\(node:|at node:/.test(line)) return 'node';
  if (SPOOL_PACKAGE.test(line) || CORE_ROOTS.some((root) => line.includes(root))) return 'spool';
  return 'application';
}

/**
 * A stack trace with the application's frames in view and each run of Spool's or Node.js's own
 * frames folded into a closed `<details>` that says how many it holds: the frames that explain a
 * failure are the handler's, and the job runner's are the same in every trace.
 */
export function stackTrace(stack: string): SafeHtml {
  const lines = stack.split('\n');
  const runs: Array<{ owner: FrameOwner; lines: string[] }> = [];
  for (const line of lines) {
    const owner = frameOwner(line);
    const last = runs.at(-1);
    if (last && last.owner === owner) last.lines.push(line);
    else runs.push({ owner, lines: [line] });
  }
  return html`<div class="code stack">${runs.map((run) => {
    if (run.owner === 'application') return html`<span class="frame">${run.lines.join('\n')}</span>`;
    const n = run.lines.length;
    const label = `${n} ${run.owner === 'spool' ? 'Spool' : 'Node.js'} frame${n === 1 ? '' : 's'}`;
    return html`<details class="internal-frames"><summary>${label}</summary><span class="frame-internal">${run.lines.join('\n')}</span></details>`;
  })}</div>`;
}
