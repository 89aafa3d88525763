import { readFileSync } from 'node:fs';

import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const doc = readFileSync(new URL('../../../docs/events.md', import.meta.url), 'utf8');

function source(path: string): ts.SourceFile {
  const file = new URL(`../src/${path}`, import.meta.url);
  return ts.createSourceFile(path, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
}

/** A type's text on one line with single spaces, as the doc writes it. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').replace(/;? \}$/, ' }').trim();

/** Each member of `interface ServerEvents`: its name and its payload type's text. */
function serverEvents(): Array<[string, string]> {
  const file = source('server/server-events.ts');
  const events = file.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'ServerEvents');
  return events!.members.filter(ts.isPropertySignature).map((m) => [(m.name as ts.Identifier | ts.StringLiteral).text, oneLine(m.type!.getText(file))]);
}

/** Each member of `interface ClientEvents`. */
function clientEvents(): Array<[string, string]> {
  const file = source('client/client-events.ts');
  const events = file.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'ClientEvents');
  return events!.members.filter(ts.isPropertySignature).map((m) => [(m.name as ts.Identifier | ts.StringLiteral).text, oneLine(m.type!.getText(file))]);
}

/** Each variant of `type StorageEvent`: its `type` literal and the variant's text. */
function storageEvents(): Array<[string, string]> {
  const file = source('storage/contract.ts');
  const alias = file.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === 'StorageEvent');
  return (alias!.type as ts.UnionTypeNode).types.map((variant) => [/type: '([\w-]+)'/.exec(variant.getText(file))![1]!, oneLine(variant.getText(file))]);
}

/** The first two cells of each row of the table under `heading`. */
function rows(heading: string): Array<[string, string]> {
  const section = doc.split(/^## /m).find((s) => s.startsWith(heading))!;
  return [...section.matchAll(/^\| `([\w:-]+)` \| `([^`]+)` \|/gm)].map((m) => [m[1]!, oneLine(m[2]!)]);
}

describe('docs/events.md', () => {
  it('lists every server event with the payload type of ServerEvents, and no other', () => {
    expect(rows('Server events')).toEqual(serverEvents());
  });

  it('lists every client event with the payload type of ClientEvents', () => {
    expect(rows('Client events')).toEqual(clientEvents());
  });

  it('lists every storage wake-up event with its payload type', () => {
    expect(rows('Storage wake-up events')).toEqual(storageEvents());
  });
});
