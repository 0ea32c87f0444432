import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, pingRedis } from '@gw/process-tools';

/** A primary, one replica and three Sentinels on loopback, as production runs Redis. */
export interface SentinelSetup {
  /** REDIS_SENTINELS for the gateway. */
  sentinels: string;
  name: string;
  /** REDIS_URL for the gateway: its host is unused, Sentinels name the primary. */
  url: string;
  primaryPort: number;
  /** kill -9 of the current primary. */
  killPrimary(): void;
  /** Resolves with the port the Sentinels name as primary once it is no longer `oldPort`. */
  waitForNewPrimary(oldPort: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

export async function startSentinelSetup(name = 'gw-primary'): Promise<SentinelSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-sentinel-'));
  const processes: ChildProcess[] = [];
  const server = (args: string[]) => {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    processes.push(child);
    return child;
  };
  const redisArgs = (port: number) => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--dbfilename',
    `dump-${port}.rdb`,
    '--maxmemory-policy',
    'noeviction',
  ];
  const waitUp = async (port: number) => {
    for (let i = 0; i < 100 && !(await pingRedis(`redis://127.0.0.1:${port}`)); i++) await new Promise((r) => setTimeout(r, 50));
  };

  const primaryPort = await freePort();
  const primary = server(redisArgs(primaryPort));
  await waitUp(primaryPort);
  const replicaPort = await freePort();
  server([...redisArgs(replicaPort), '--replicaof', '127.0.0.1', String(primaryPort)]);
  await waitUp(replicaPort);

  const sentinelPorts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const conf = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    server([conf, '--sentinel']);
    sentinelPorts.push(port);
  }
  for (const port of sentinelPorts) await waitUp(port);

  const askSentinel = async (): Promise<number | undefined> => {
    for (const port of sentinelPorts) {
      const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
      try {
        await client.connect();
        const [, primaryOf] = (await client.call('SENTINEL', 'get-master-addr-by-name', name)) as [string, string];
        return Number(primaryOf);
      } catch {
        // Try the next Sentinel.
      } finally {
        client.disconnect();
      }
    }
    return undefined;
  };
  // The replica has synced and every Sentinel knows it before the test starts.
  const replica = new Redis({ port: replicaPort, host: '127.0.0.1' });
  for (let i = 0; i < 200; i++) {
    const info = await replica.info('replication');
    if (/master_link_status:up/.test(info)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  replica.disconnect();
  for (let i = 0; i < 100 && (await askSentinel()) !== primaryPort; i++) await new Promise((r) => setTimeout(r, 100));

  return {
    sentinels: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
    name,
    url: `redis://127.0.0.1:${primaryPort}`,
    primaryPort,
    killPrimary: () => primary.kill('SIGKILL'),
    async waitForNewPrimary(oldPort, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const port = await askSentinel();
        if (port && port !== oldPort) return port;
        if (Date.now() > deadline) throw new Error('the Sentinels promoted no replica');
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      const running = processes.filter((child) => child.exitCode === null && child.signalCode === null);
      await Promise.all(
        running.map(
          (child) =>
            new Promise((resolve) => {
              child.once('exit', resolve);
              child.kill('SIGTERM');
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
