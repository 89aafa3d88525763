import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const CORE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(CORE, 'src');

/** Every source file of core, as paths relative to `src`. */
function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(SRC, path)] : [];
  });
}

/** The core files a file imports (type-only imports too: they are dependencies of the design). */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(SRC, file), 'utf8'), true, true);
  return importedFiles
    .map((i) => i.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => relative(SRC, resolve(SRC, dirname(file), name.replace(/\.js$/, '.ts'))));
}

const graph = new Map(sourceFiles().map((file) => [file, importsOf(file)]));

/** Every file `from` reaches through imports, with the chain that reaches it. */
function reachable(from: string): Map<string, string[]> {
  const seen = new Map<string, string[]>([[from, [from]]]);
  const queue = [from];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const next of graph.get(file) ?? []) {
      if (seen.has(next)) continue;
      seen.set(next, [...seen.get(file)!, next]);
      queue.push(next);
    }
  }
  return seen;
}

describe('the import direction inside core', () => {
  it('reads the imports of every source file', () => {
    expect(graph.get('client/spool.ts')).toContain('server/server.ts');
    for (const imports of graph.values()) for (const file of imports) expect(graph.has(file), file).toBe(true);
  });

  it('lets no server file reach the client, directly or through other files: client imports server, never the reverse', () => {
    const chains: string[] = [];
    for (const file of graph.keys()) {
      if (!file.startsWith('server/')) continue;
      for (const [target, chain] of reachable(file)) if (target.startsWith('client/')) chains.push(chain.join(' -> '));
    }
    expect(chains).toEqual([]);
  });

  it('has no import cycle that joins client and server files', () => {
    const crossing: string[] = [];
    for (const file of graph.keys()) {
      if (!file.startsWith('client/')) continue;
      for (const [target] of reachable(file)) {
        if (target.startsWith('server/') && reachable(target).has(file)) crossing.push(`${file} <-> ${target}`);
      }
    }
    expect(crossing).toEqual([]);
  });
});
