/**
 * `npm start`: every example and the dashboard in one process, on SQLite in ./data by default.
 * Settings by environment: see settings.ts.
 */
import { describeStorage, exitWith, stopOnSignals } from '@spool-examples/web-kit';

import { DASHBOARD_PATH, EXAMPLES } from './examples.js';
import { settingsOrExit } from './settings.js';
import { startShowcase } from './showcase.js';

const settings = settingsOrExit('showcase');
const showcase = await startShowcase(settings).catch((error: unknown) => exitWith('showcase', error));
const width = Math.max(...EXAMPLES.map((e) => e.title.length), 'Dashboard'.length);
console.log(`Spool showcase on ${showcase.url}  (storage ${describeStorage(settings.storage)}, jobs ${settings.worker ? 'in this process' : 'in worker processes'})

${EXAMPLES.map((e) => `  ${e.title.padEnd(width)}  ${showcase.url}${e.start}`).join('\n')}
  ${'Dashboard'.padEnd(width)}  ${showcase.url}${DASHBOARD_PATH}/

  Send a push:  curl -i -X POST ${showcase.url}/push/api/messages -H 'content-type: application/json' -d '{"userId":"ann","text":"Hello"}'

Stop with Ctrl+C.`);
stopOnSignals('showcase', () => showcase.close());
