/**
 * HTTP/1.1 or HTTP/2 to Meta? `tsx scripts/bench/h2-probe.ts [sends] [in-flight] [latency ms]`
 * (also `pnpm bench -- --h2-probe`). A TLS server that answers like Graph after a fixed latency runs
 * in a child process (Graph negotiates h2 by ALPN, and undici's `allowH2` only over TLS; the simulator
 * speaks plain HTTP/1.1). This process sends through the worker's Meta client with META_HTTP2 off and
 * on, and reports throughput, latency, the client's CPU per send and the connections each opened.
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createSecureServer } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMetaClient } from '@gw/meta-client';
import { percentile } from './stats.ts';

function certificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gw-h2-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
}

function serve(latencyMs: number, tls: { key: string; cert: string }) {
  let connections = 0;
  let seq = 0;
  const server = createSecureServer({ ...tls, allowHTTP1: true, settings: { maxConcurrentStreams: 1000 } }, (req, res) => {
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ messaging_product: 'whatsapp', contacts: [{ input: '+15550001234', wa_id: '15550001234' }], messages: [{ id: `wamid.${++seq}` }] }));
      }, latencyMs),
    );
  });
  server.on('secureConnection', () => connections++);
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
  process.on('message', (m) => {
    if (m === 'connections') process.send!({ connections });
  });
}

async function probe(port: number, server: ReturnType<typeof fork>, http2: boolean, sends: number, inFlight: number) {
  const connectionsBefore = await ask(server);
  // HTTP/2: undici's default of 100 streams per connection, so as many connections as that needs.
  const connections = http2 ? Math.ceil(inFlight / 100) : inFlight;
  const meta = createMetaClient({
    baseUrl: `https://127.0.0.1:${port}`,
    version: 'v24.0',
    timeoutMs: 30_000,
    connectTimeoutMs: 30_000,
    connections,
    http2,
    tlsRejectUnauthorized: false,
  });
  let failed = 0;
  const run = async (count: number, latencies?: Float64Array) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < count) {
          const i = next++;
          const t = performance.now();
          const result = await meta.send('marketing_messages', '106540000000', 'token', { to: '+15550001234', type: 'template' });
          if (result.kind !== 'response' || result.status !== 200) failed++;
          if (latencies) latencies[i] = performance.now() - t;
        }
      }),
    );
  };
  await run(inFlight * 2); // connections (and TLS handshakes) first, unmeasured
  failed = 0;
  const latencies = new Float64Array(sends);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run(sends, latencies);
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await meta.close();
  const sorted = latencies.sort();
  return {
    protocol: http2 ? 'HTTP/2' : 'HTTP/1.1',
    sendsPerSec: Math.round(sends / elapsed),
    p50: Math.round(percentile(sorted, 50)),
    p99: Math.round(percentile(sorted, 99)),
    clientCpuUsPerSend: Math.round((used.user + used.system) / sends),
    connections: (await ask(server)) - connectionsBefore,
    failed,
  };
}

function ask(server: ReturnType<typeof fork>): Promise<number> {
  return new Promise((resolve) => {
    server.once('message', (m: { connections: number }) => resolve(m.connections));
    server.send('connections');
  });
}

export async function h2Probe(sends = 20_000, inFlight = 1000, latencyMs = 250) {
  const server = fork(fileURLToPath(import.meta.url), ['--serve', String(latencyMs)], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, H2_PROBE_TLS: JSON.stringify(certificate()) },
  });
  const { port } = await new Promise<{ port: number }>((resolve) => server.once('message', resolve as (m: unknown) => void));
  const results = [];
  try {
    // Twice each, alternating, so neither always runs first.
    for (const http2 of [false, true, false, true]) {
      results.push(await probe(port, server, http2, sends, inFlight));
      process.stderr.write(`${JSON.stringify(results.at(-1))}\n`);
    }
  } finally {
    server.kill();
  }
  return { sends, inFlight, latencyMs, results };
}

if (process.argv[2] === '--serve') serve(Number(process.argv[3]), JSON.parse(process.env.H2_PROBE_TLS!) as { key: string; cert: string });
else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [sends, inFlight, latency] = process.argv.slice(2).map(Number);
  console.log(JSON.stringify(await h2Probe(sends || undefined, inFlight || undefined, latency || undefined), null, 2));
}
