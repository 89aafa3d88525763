/**
 * Spool's side of the PostgreSQL benchmarks, run in a child process like the peers'.
 * Usage: node spool-cli.js <scenario> [count] [backlog]; scenario: burn | burn-unknown | burn-future | bulk | latency;
 * count: jobs (burn-downs, bulk) or samples (latency); backlog: jobs of the backlog (default 200,000).
 * Prints one JSON line: { value, cost } (jobs/s and cost per job), { value } or { p50, p99 } (ms).
 */
import { SPOOL_DEFAULTS, spoolBulkEnqueue, spoolBurnDown, spoolLatency } from './spool-scenarios.js';

const [scenario, countArg, backlogArg] = process.argv.slice(2) as [string, string | undefined, string | undefined];
const count = Number(countArg ?? 20_000);
const backlog = Number(backlogArg ?? 200_000);
switch (scenario) {
  case 'burn':
    console.log(JSON.stringify(await spoolBurnDown(SPOOL_DEFAULTS, count, 10)));
    break;
  case 'burn-unknown':
    console.log(JSON.stringify(await spoolBurnDown(SPOOL_DEFAULTS, count, 10, 'unknown-name', backlog)));
    break;
  case 'burn-future':
    console.log(JSON.stringify(await spoolBurnDown(SPOOL_DEFAULTS, count, 10, 'far-future', backlog)));
    break;
  case 'bulk':
    console.log(JSON.stringify({ value: await spoolBulkEnqueue(count, 1000) }));
    break;
  case 'latency':
    console.log(JSON.stringify(await spoolLatency(SPOOL_DEFAULTS, count)));
    break;
  default:
    throw new Error(`unknown scenario ${scenario}`);
}
process.exit(0);
