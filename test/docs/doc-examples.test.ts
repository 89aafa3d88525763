import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format, promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const run = promisify(execFile);

/** Code blocks preceded by `<!-- example: name -->` in a Markdown file. */
function examples(file: string): Array<{ name: string; code: string }> {
  const text = readFileSync(new URL(file, root), 'utf8');
  return [...text.matchAll(/<!-- example: ([\w-]+) -->\n```ts\n([\s\S]*?)```/g)].map((m) => ({ name: m[1]!, code: m[2]! }));
}

/**
 * The examples, each with the compiler options its kind of application has: the framework
 * integrations' page holds a NestJS application, which needs Nest's legacy decorators and their
 * type metadata (constructor injection reads it).
 */
const groups = [
  { examples: [...examples('README.md'), ...examples('docs/getting-started.md'), ...examples('docs/flow-control.md'), ...examples('docs/changing-jobs.md'), ...examples('docs/dead-letters.md'), ...examples('docs/batches-and-flows.md')], options: {} },
  { examples: examples('docs/integrations.md'), options: { experimentalDecorators: true, emitDecoratorMetadata: true } },
];
const all = groups.flatMap((group) => group.examples.map((example) => ({ ...example, options: group.options })));
// Generated inside the repository so that `import ... from 'spool'` resolves like a user's code.
const out = join(new URL('.', import.meta.url).pathname, '.generated');
const cwd = mkdtempSync(join(tmpdir(), 'spool-docs-'));

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(cwd, { recursive: true, force: true });
});

/**
 * What a `console.log(...)` line of an example claims to print: its trailing comment holds the
 * printed values as JavaScript, separated by commas (`// 'succeeded', 2`), formatted as console.log
 * formats them. Null for a line that logs nothing or claims nothing.
 */
function expectedOutput(line: string): string | null {
  if (!line.includes('console.log(')) return null;
  const comment = /\)\s*;?\s*\/\/\s*(.+)$/.exec(line);
  if (!comment) return null;
  const values = new Function(`return [${comment[1]}];`)() as unknown[];
  return format(...values);
}


describe('the examples in the docs', () => {
  it('are found', () => {
    expect(all.map((e) => e.name)).toEqual(expect.arrayContaining(['readme', 'define', 'kinds', 'classes', 'flow-per-key', 'flow-payments', 'batch-export', 'flow-order', 'fastify', 'express', 'hono', 'nestjs']));
  });

  it('type-check', () => {
    mkdirSync(out, { recursive: true });
    for (const group of groups) {
      const files = group.examples.map(({ name, code }) => {
        const file = join(out, `${name}.ts`);
        writeFileSync(file, `${code}\nexport {};\n`);
        return file;
      });
      const program = ts.createProgram(files, {
        strict: true,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
        ...group.options,
      });
      const problems = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      expect(problems).toEqual([]);
    }
  });

  it('say what each of their console.log lines prints', () => {
    for (const { name, code } of all) {
      for (const line of code.split('\n')) if (line.includes('console.log(')) expect(expectedOutput(line), `${name}: ${line}`).not.toBeNull();
    }
  });

  it.each(all.map((e) => [e.name, e.code, e.options] as const))('%s prints what its comments say', async (name, code, options) => {
    mkdirSync(out, { recursive: true });
    const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, ...options } }).outputText;
    const file = join(out, `${name}.mjs`);
    writeFileSync(file, js);
    const { stdout } = await run(process.execPath, [file], { cwd, timeout: 30_000 });
    const expected = code.split('\n').map(expectedOutput).filter((e): e is string => e !== null);
    expect(stdout.trimEnd()).toBe(expected.join('\n'));
  });
});

