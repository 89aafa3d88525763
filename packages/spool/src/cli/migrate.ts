import { redactStorageUrl, resolveStorage } from '../storage-url.js';
import type { Command } from './command.js';
import { jsonDocument } from './format.js';
import { storageUrl } from './open-spool.js';
import { expectPositionals, parseCommandLine } from './parse.js';

/** `spool migrate`: applies pending storage migrations and reports them. */
export const migrateCommand: Command = {
  path: ['migrate'],
  summary: 'Apply pending storage migrations',
  positionals: '',
  description:
    'Creates or upgrades the storage schema. Storages also migrate themselves when they open, so this is\n' +
    'for deployments that migrate in a separate step before starting workers. Running it twice is safe.',
  options: [],
  examples: ['# Create or upgrade an SQLite storage', 'spool migrate --storage sqlite:./data/spool.db'],
  async run(args, io) {
    const { flags, positionals } = parseCommandLine(this, args);
    expectPositionals(positionals, [], 'migrate');
    const url = storageUrl(flags, io);
    // Opened without migrating on its own, so that what this command applies can be reported.
    const storage = resolveStorage(url, {}, { migrate: false });
    try {
      const { applied } = await storage.migrate();
      if (flags.json) {
        io.out(jsonDocument({ storage: storage.kind, applied }));
      } else if (applied.length === 0) {
        io.out(`${redactStorageUrl(url)}: up to date, no migration to apply\n`);
      } else {
        io.out(`${redactStorageUrl(url)}: applied migration${applied.length === 1 ? '' : 's'} ${applied.join(', ')}\n`);
      }
      return 0;
    } finally {
      await storage.close();
    }
  },
};
