import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const DIST = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'dist');
const ENTRY = join(DIST, 'index.d.ts');

/** The built declarations of `@spool/core`, as a user's compiler sees them. */
function publishedTypes(): { checker: ts.TypeChecker; exports: Map<string, ts.Symbol> } {
  const program = ts.createProgram([ENTRY], { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext });
  const checker = program.getTypeChecker();
  const entry = checker.getSymbolAtLocation(program.getSourceFile(ENTRY)!)!;
  return { checker, exports: new Map(checker.getExportsOfModule(entry).map((s) => [s.getName(), s])) };
}

/** The members an instance of an exported class has in the published types, private ones included. */
function membersOf(name: string): string[] {
  const { checker, exports } = publishedTypes();
  const symbol = exports.get(name);
  if (!symbol) throw new Error(`@spool/core exports no ${name}`);
  const type = checker.getDeclaredTypeOfSymbol(symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
  return checker.getPropertiesOfType(type).map((p) => p.getName());
}

const SPOOL_INTERNALS = ['registry', 'clock', 'random', 'resolveTarget', 'buildJob', 'newId', 'ids', 'servers', 'ready', 'host', 'jobs', 'create', 'setState'];

describe("@spool/core's published types (built by `npm run build`)", () => {
  it('show the public members of Spool', () => {
    expect(membersOf('Spool')).toEqual(expect.arrayContaining(['storage', 'recurring', 'enqueue', 'schedule', 'startServer', 'perform', 'close']));
  });

  it("show none of Spool's internals: its registry, clock, randomness, job building or servers", () => {
    const members = membersOf('Spool');
    expect(SPOOL_INTERNALS.filter((name) => members.includes(name))).toEqual([]);
  });

  it("show none of the server's or the recurring manager's internals: their host, processes and helpers", () => {
    const server = membersOf('Server');
    expect(server).toEqual(expect.arrayContaining(['id', 'options', 'events', 'jobNames', 'start', 'stop', 'runningCount']));
    expect(['host', 'processes', 'fetchLoop', 'delayedScheduler', 'running', 'completer', 'runtime', 'shutdown'].filter((name) => server.includes(name))).toEqual([]);
    const recurring = membersOf('RecurringManager');
    expect(recurring).toEqual(expect.arrayContaining(['addOrUpdate', 'trigger', 'remove', 'fireDue']));
    expect(['spool', 'applyOverlap', 'occurrenceJob', 'require', 'scheduleOf'].filter((name) => recurring.includes(name))).toEqual([]);
  });

  it('do not export the job registry or the job builder', () => {
    const { exports } = publishedTypes();
    expect(['JobRegistry', 'JobBuilder', 'RecurringManagerHost'].filter((name) => exports.has(name))).toEqual([]);
  });
});
