import { describeLimits, limitsFromText, scopeFromText, scopeId } from '@spool/core';
import type { LimitsTextLabels } from '@spool/core';

import type { Command } from './command.js';
import { colours } from './colours.js';
import { count, jsonDocument, table } from './format.js';
import { withSpool } from './open-spool.js';
import { expectPositionals, parseCommandLine, stringFlag } from './parse.js';

/** `spool limits list`: every queue and job name with limits, what is in force and who set it. */
export const limitsListCommand: Command = {
  path: ['limits', 'list'],
  summary: 'List the flow-control limits of queues and job names',
  positionals: '',
  description:
    "Every queue and job name with limits: the limits in force, whether they are the code's (a job\ndefinition's) or an operator's (which win until cleared), and how many of its jobs run now.",
  options: [],
  examples: ['# The limits of the default storage', 'spool limits list'],
  async run(args, io) {
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, [], 'limits list');
    return withSpool(flags, io, async (spool) => {
      const limits = await spool.limits.list();
      if (flags.json) {
        io.out(jsonDocument({ limits }));
        return 0;
      }
      if (limits.length === 0) {
        io.out('no limits\n');
        return 0;
      }
      const paint = colours(io, 'out');
      const rows = limits.map((l) => [
        scopeId(l.scope),
        describeLimits(l.inForce),
        l.source === 'operator' ? paint.yellow(`operator${l.operator?.setBy ? ` (${l.operator.setBy})` : ''}`) : 'code',
        count(l.running),
      ]);
      io.out(`${table(['scope', 'in force', 'set by', 'running'], rows)}\n`);
      return 0;
    }, { mustExist: true });
  },
};

/** The flags of `spool limits set`, for the problems of what was typed. */
const FLAG_LABELS: LimitsTextLabels = {
  concurrency: '--concurrency',
  rate: '--rate',
  perKeyConcurrency: '--per-key-concurrency',
  perKeyRate: '--per-key-rate',
  onLocked: '--on-locked',
  maxSize: '--max-size',
};

/** `spool limits set <scope>`: an operator's limits, stored; they win over the code's until cleared. */
export const limitsSetCommand: Command = {
  path: ['limits', 'set'],
  summary: "Set an operator's limits of a queue or a job name (they win over the code's until cleared)",
  positionals: '<queue:name|job:name>',
  description:
    'Stored, so they hold across every server and survive restarts and redeploys. Give at least one\nlimit. A rate is <count>/<window>, e.g. 50/1s or 100/1m.',
  options: [
    { name: 'concurrency', type: 'string', value: 'n', description: 'At most this many of its jobs run at once, across every server' },
    { name: 'rate', type: 'string', value: 'n/window', description: 'At most this many starts per window (e.g. 50/1s)' },
    { name: 'per-key-concurrency', type: 'string', value: 'n', description: 'At most this many jobs of one key run at once' },
    { name: 'per-key-rate', type: 'string', value: 'n/window', description: 'At most this many starts of one key per window' },
    { name: 'on-locked', type: 'string', value: 'wait|skip', description: "With per-key concurrency: a job whose key is at its limit waits (default) or is skipped (deleted)" },
    { name: 'max-size', type: 'string', value: 'n', description: 'A queue only: at most this many of its jobs wait enqueued; an enqueue past it is refused (ERR_QUEUE_FULL) or waits' },
    { name: 'by', type: 'string', value: 'name', description: 'Who sets them, shown beside them (default: cli)' },
  ],
  examples: [
    '# At most 5 mails at once and 50 a second',
    'spool limits set queue:mail --concurrency 5 --rate 50/1s',
    '# One export per customer at a time',
    'spool limits set job:documents.export --per-key-concurrency 1',
    '# At most 100 exports waiting: further enqueues are refused or wait',
    'spool limits set queue:exports --max-size 100',
  ],
  async run(args, io) {
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, ['scope'], 'limits set');
    const scope = scopeFromText(positionals[0]!, 'scope');
    const limits = limitsFromText(
      {
        concurrency: stringFlag(flags, 'concurrency'),
        rate: stringFlag(flags, 'rate'),
        perKeyConcurrency: stringFlag(flags, 'per-key-concurrency'),
        perKeyRate: stringFlag(flags, 'per-key-rate'),
        onLocked: stringFlag(flags, 'on-locked'),
        maxSize: stringFlag(flags, 'max-size'),
      },
      FLAG_LABELS,
    );
    return withSpool(flags, io, async (spool) => {
      await spool.limits.set(scope, limits, { setBy: stringFlag(flags, 'by') ?? 'cli' });
      const view = await spool.limits.get(scope);
      if (flags.json) io.out(jsonDocument({ limits: view }));
      else io.out(`limits of ${scopeId(scope)}: ${view ? describeLimits(view.inForce) : 'none'}\n`);
      return 0;
    }, { mustExist: true });
  },
};

/** `spool limits clear <scope>`: removes an operator's limits; the code's are in force again. */
export const limitsClearCommand: Command = {
  path: ['limits', 'clear'],
  summary: "Clear an operator's limits of a queue or a job name (the code's, if any, apply again)",
  positionals: '<queue:name|job:name>',
  description: "Removes what `spool limits set` stored for the scope. A job definition's own limits stay.",
  options: [],
  examples: ['# Back to what the code says', 'spool limits clear queue:mail'],
  async run(args, io) {
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, ['scope'], 'limits clear');
    const scope = scopeFromText(positionals[0]!, 'scope');
    return withSpool(flags, io, async (spool) => {
      await spool.limits.clear(scope);
      const view = await spool.limits.get(scope);
      if (flags.json) io.out(jsonDocument({ scope, limits: view }));
      else io.out(`cleared the operator's limits of ${scopeId(scope)}${view ? ` (in force now: ${describeLimits(view.inForce)}, from the code)` : ''}\n`);
      return 0;
    }, { mustExist: true });
  },
};
