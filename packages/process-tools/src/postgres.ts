import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';

/** initdb on PATH, or Debian's (its server binaries are not on PATH). */
export function findInitdb(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout?.trim();
  if (onPath) return onPath;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin', 'initdb') : undefined;
}

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`: trust auth, loopback only. */
  adminUrl: string;
  port: number;
  /** Stops the cluster and deletes its folder. */
  stop: () => Promise<void>;
}

/**
 * A private PostgreSQL cluster in a temp folder on a free port (its socket there too), never the
 * machine's shared server. As root the cluster belongs to the postgres user: initdb refuses root.
 * `fsync: false` (tests) trades durability for speed; a benchmark keeps the default, like production.
 */
export async function startPrivatePostgres(options: { fsync?: boolean } = {}): Promise<PrivatePostgres> {
  const initdb = findInitdb();
  if (!initdb) throw new Error('no initdb: apt-get install -y postgresql');
  const bin = join(initdb, '..');
  const dir = mkdtempSync(join(tmpdir(), 'gw-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  // No pipes: the server pg_ctl starts would inherit them and execFileSync would wait for it to exit.
  const run = (command: string, args: string[]) =>
    asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'ignore' }) : execFileSync(command, args, { stdio: 'ignore' });
  const port = await freePort();
  const stop = () => {
    try {
      run(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'fast', 'stop']);
    } catch {
      // Never started, or already stopped.
    }
    rmSync(dir, { recursive: true, force: true });
    return Promise.resolve();
  };
  try {
    run(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust']);
    run(join(bin, 'pg_ctl'), [
      '-D',
      join(dir, 'data'),
      '-l',
      join(dir, 'log'),
      '-w',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1${options.fsync === false ? ' -c fsync=off' : ''}`,
      'start',
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`, port, stop };
}
