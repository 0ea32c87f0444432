import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, pingRedis } from '@gw/process-tools';

export interface LocalCluster {
  ports: number[];
  /** REDIS_CLUSTER_NODES for the gateway. */
  nodes: string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function clusterState(port: number): string {
  const out = spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' }).stdout ?? '';
  return /cluster_state:(\w+)/.exec(out)?.[1] ?? 'unknown';
}

/** Three masters on free loopback ports, no replicas, nothing kept on disk after stop(). */
export async function startLocalCluster(size = 3): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < size; i++) {
      const port = await freePort();
      ports.push(port);
      const nodeDir = join(dir, String(port));
      spawnSync('mkdir', ['-p', nodeDir]);
      children.push(
        spawn(
          'redis-server',
          [
            '--port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            '2000',
            '--save',
            '',
            '--appendonly',
            'no',
            '--dir',
            nodeDir,
          ],
          { stdio: 'ignore' },
        ),
      );
    }
    for (const port of ports) {
      let up = false;
      for (let i = 0; i < 100 && !up; i++) {
        up = await pingRedis(`redis://127.0.0.1:${port}`);
        if (!up) await sleep(50);
      }
      if (!up) throw new Error(`cluster node on ${port} did not start`);
    }
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}\n${create.stderr}`);
    for (let i = 0; i < 200; i++) {
      if (ports.every((p) => clusterState(p) === 'ok')) return { ports, nodes: ports.map((p) => `127.0.0.1:${p}`).join(','), stop };
      await sleep(100);
    }
    throw new Error('the cluster never reported cluster_state:ok');
  } catch (error) {
    await stop();
    throw error;
  }
}
