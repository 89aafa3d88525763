/**
 * Spool's side of the MySQL benchmarks, run in a child process like the PostgreSQL ones.
 * Usage: node mysql-cli.js <scenario> [count]; scenario: burn | bulk | latency; count: jobs (burn,
 * bulk) or samples (latency). Prints one JSON line: { value } (jobs/s) or { p50, p99 } (ms).
 */
import { mysqlBulkEnqueue, mysqlBurnDown, mysqlLatency } from './spool-mysql-scenarios.js';

const [scenario, countArg] = process.argv.slice(2) as [string, string | undefined];
const count = Number(countArg ?? 20_000);
switch (scenario) {
  case 'burn':
    console.log(JSON.stringify(await mysqlBurnDown(count, 10)));
    break;
  case 'bulk':
    console.log(JSON.stringify({ value: await mysqlBulkEnqueue(count, 1000) }));
    break;
  case 'latency':
    console.log(JSON.stringify(await mysqlLatency(count)));
    break;
  default:
    throw new Error(`unknown scenario ${scenario}`);
}
process.exit(0);
