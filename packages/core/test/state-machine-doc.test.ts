import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CREATED, JOB_STATES, STATE_FACTS, TRANSITIONS } from '@spool/core';

const doc = readFileSync(new URL('../../../docs/state-machine.md', import.meta.url), 'utf8');

/** The transitions drawn in the doc's mermaid diagram, as `from->to` strings. */
function drawnTransitions(): Set<string> {
  const diagram = /```mermaid\n([\s\S]*?)```/.exec(doc)![1]!;
  const edges = new Set<string>();
  for (const line of diagram.split('\n')) {
    const match = /^\s*(\[\*\]|\w+)\s*-->\s*(\w+)/.exec(line);
    if (match) edges.add(`${match[1] === '[*]' ? CREATED : match[1]}->${match[2]}`);
  }
  return edges;
}

describe('the state machine documentation', () => {
  it('draws exactly the transitions of the transitions table', () => {
    const table = new Set(Object.entries(TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from}->${to}`)));
    expect([...drawnTransitions()].sort()).toEqual([...table].sort());
  });

  it('lists every state with its facts', () => {
    for (const state of JOB_STATES) {
      const row = new RegExp(`^\\| ${state} \\| (yes|no) \\| (yes|no) \\| (yes|no) \\| (yes|no) \\|`, 'm').exec(doc);
      expect(row, `row for ${state}`).not.toBeNull();
      const facts = STATE_FACTS[state];
      expect([row![1], row![2], row![3], row![4]]).toEqual([facts.final, facts.expires, facts.active, facts.finished].map((b) => (b ? 'yes' : 'no')));
    }
  });
});
