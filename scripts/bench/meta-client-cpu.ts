/**
 * The Meta client's CPU per call: `tsx scripts/bench/meta-client-cpu.ts [calls] [in-flight] [rounds]`. A plain
 * HTTP server that answers like Graph at once runs in a child process; this process sends through the worker's
 * Meta client and, interleaved, through undici's top-level `request(url)` (how the client called Meta until the
 * fifteenth round), and prints the CPU this process spent per call in each round (docs/performance.md).
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { createMetaClient } from '@gw/meta-client';
import { median } from './stats.ts';

const ANSWER = JSON.stringify({
  messaging_product: 'whatsapp',
  contacts: [{ input: '+15550001234', wa_id: '15550001234' }],
  messages: [{ id: 'wamid.HBgLMTU1NTAwMDEyMzQVAgARGBI5QUI2RTk3QkU3RjA0RDdDAA==' }],
});
const PAYLOAD = { messaging_product: 'whatsapp', to: '15550001234', type: 'template', template: { name: 'promo', language: { code: 'en_US' } } };
const TOKEN = `EAAG${'x'.repeat(180)}`;

function serve() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ANSWER) });
      res.end(ANSWER);
    });
  });
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
}

/** µs of this process's CPU per call, `calls` calls with `inFlight` at a time. */
async function cpuPerCall(send: () => Promise<unknown>, calls: number, inFlight: number): Promise<number> {
  let started = 0;
  const run = (count: number) =>
    Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (started++ < count) await send();
      }),
    );
  await run(calls / 5); // warm: connections open, code optimised
  started = 0;
  const before = process.cpuUsage();
  await run(calls);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

async function main() {
  const [calls = 20_000, inFlight = 64, rounds = 3] = process.argv.slice(2).map(Number);
  const server = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise<{ port: number }>((resolve) => server.once('message', (m) => resolve(m as { port: number })));
  const base = `http://127.0.0.1:${port}`;
  const meta = createMetaClient({ baseUrl: base, version: 'v24.0', timeoutMs: 10_000 });
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  const ways: Record<string, () => Promise<unknown>> = {
    'Meta client': () => meta.send('marketing_messages', '1234', TOKEN, PAYLOAD),
    'undici request(url)': async () => {
      const answer = await request(`${base}/v24.0/1234/marketing_messages`, {
        method: 'POST',
        dispatcher: agent,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(PAYLOAD),
      });
      return JSON.parse(await answer.body.text()) as unknown;
    },
  };
  const results: Record<string, number[]> = {};
  for (let round = 1; round <= rounds; round++) {
    for (const [name, send] of Object.entries(ways)) {
      const us = await cpuPerCall(send, calls, inFlight);
      (results[name] ??= []).push(us);
      console.log(`round ${round}: ${name.padEnd(20)} ${us.toFixed(1)} µs of CPU per call`);
    }
  }
  for (const [name, values] of Object.entries(results)) console.log(`median: ${name.padEnd(20)} ${median(values).toFixed(1)} µs`);
  await Promise.all([meta.close(), agent.close()]);
  server.kill();
}

if (process.argv.includes('--serve')) serve();
else await main();
