/**
 * The burst measurement of docs/benchmarks.md: 1,000 POST /api/messages sent at once to the demo on
 * a fresh SQLite file, then the time until every push job has succeeded.
 *
 *   npm run bench:push                               # at the repository root
 *   node examples/message-push/dist/burst.js --requests 1000 --failure-rate 0.2 --retry-delay 2s
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { startMessagePush } from './start.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000' },
    'failure-rate': { type: 'string', default: '0.2' },
    'retry-delay': { type: 'string', default: '2s' },
    concurrency: { type: 'string', default: '200' },
  },
});
const requests = Number(values.requests);
const failureRate = Number(values['failure-rate']);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(requests) || requests < 1) throw new Error(`--requests must be a positive integer, got ${values.requests}`);
if (!(failureRate >= 0 && failureRate <= 1)) throw new Error(`--failure-rate must be between 0 and 1, got ${values['failure-rate']}`);

const dir = mkdtempSync(join(tmpdir(), 'message-push-burst-'));
const app = await startMessagePush({ storage: `sqlite:${join(dir, 'burst.db')}`, port: 0, failureRate, retryDelay: values['retry-delay'], concurrency });
try {
  const started = performance.now();
  // The client shares the process: node:http over 64 keep-alive connections costs it far less CPU
  // than 1,000 separate fetch() connections would, so the figures are mostly the server's.
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const latencies = await Promise.all(
    Array.from({ length: requests }, async (_, i) => {
      const sent = performance.now();
      const body = JSON.stringify({ userId: `user-${(i % 50) + 1}`, text: `burst message ${i}` });
      const { status, text } = await post(`${app.url}/api/messages`, body, agent);
      if (status !== 202) throw new Error(`request ${i}: expected 202, got ${status} ${text}`);
      return performance.now() - sent;
    }),
  );
  agent.destroy();
  const accepted = performance.now() - started;
  let stats = await app.spool.stats();
  while (stats.states.succeeded + stats.states.failed < requests) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    stats = await app.spool.stats();
  }
  const drained = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1);
  console.log(
    `${requests} requests at once (failure rate ${failureRate}, retry delay ${values['retry-delay']}, concurrency ${concurrency}, Node ${process.version}):\n` +
      `  all accepted (202) after ${accepted.toFixed(0)} ms; request latency p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms\n` +
      `  all drained after ${drained.toFixed(0)} ms: ${stats.states.succeeded} succeeded, ${stats.states.failed} failed, ` +
      `${app.provider.delivered} sends delivered, ${app.provider.refused} refused and retried`,
  );
} finally {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}

function post(url: string, body: string, agent: Agent): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
