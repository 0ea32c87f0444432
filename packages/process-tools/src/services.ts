import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, pingRedis } from './net.ts';

/** The repository root, so entry points resolve from anywhere. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export const ENTRY_POINTS = {
  ingress: join(REPO_ROOT, 'apps/ingress/src/main.ts'),
  worker: join(REPO_ROOT, 'apps/worker/src/main.ts'),
  simulator: join(REPO_ROOT, 'apps/meta-simulator/src/main.ts'),
  baselineProxy: join(REPO_ROOT, 'apps/baseline-proxy/src/main.ts'),
} as const;

/**
 * V8 flags of the ingress process, wherever it is started (startService, so `pnpm gateway`, the tests
 * and the bench; the Dockerfile's and docker-compose.yml's command repeat them). They bound what a
 * 100 MB media upload or download adds to its resident memory (issue #12: under 20 MB, measured by
 * test/e2e/media-memory.test.ts; docs/operating.md has the figures):
 * - `--max-semi-space-size=1` and `--minor-gc-task-trigger=20`: every socket read of a transfer is a
 *   fresh 64 KB buffer, garbage once written on, and V8 frees such buffers only at a young-generation
 *   GC. Left alone it runs one when 32 MB of them have piled up (a fixed threshold); a 1 MB young
 *   generation, collected once a fifth full, collects them every few MB.
 * - `--no-wasm-tier-up --no-wasm-dynamic-tiering`: undici's HTTP parser (llhttp, WebAssembly) stays
 *   on V8's baseline compiler. Re-compiling it with the optimizing compiler, which V8 does once it is
 *   hot (the first large transfer), takes 20 to 28 MB for a moment. The ingress parses only Meta's
 *   answers to pass-through calls with it; its send path does not use undici.
 */
export const INGRESS_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--minor-gc-task-trigger=20', '--no-wasm-tier-up', '--no-wasm-dynamic-tiering'];

/** The V8 flags an entry point runs with (matched by its path in the repository, so another checkout's too). */
export function nodeFlagsOf(entry: string): readonly string[] {
  return entry.endsWith(join('apps', 'ingress', 'src', 'main.ts')) ? INGRESS_NODE_FLAGS : [];
}

export interface RunningService {
  name: string;
  process: ChildProcess;
  output: string[];
  /** What the service announced when it became ready (for example its ports). */
  ready: Record<string, unknown>;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export interface StartOptions {
  name: string;
  entry: string;
  env: NodeJS.ProcessEnv;
  /**
   * A line on stdout that says the service is ready, for programs that print one
   * (the simulator). Without it the service must call `announceReady` over IPC.
   */
  readyLine?: RegExp;
  timeoutMs?: number;
  /** Copy the service's output to this process's stderr. */
  echo?: boolean;
}

/** Starts a TypeScript entry point under tsx, with its V8 flags (nodeFlagsOf), and waits for its ready line. */
export function startService(options: StartOptions): Promise<RunningService> {
  const child = spawn(process.execPath, [...nodeFlagsOf(options.entry), '--import', 'tsx', options.entry], {
    cwd: REPO_ROOT,
    env: options.env,
    stdio: options.readyLine ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const service: RunningService = {
    name: options.name,
    process: child,
    output,
    ready: {},
    exited,
    async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  return new Promise((resolvePromise, reject) => {
    let ready = false;
    const becomeReady = (details: Record<string, unknown>) => {
      if (ready) return;
      ready = true;
      service.ready = details;
      clearTimeout(timer);
      resolvePromise(service);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.name} did not become ready:\n${output.join('')}`));
    }, options.timeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output.push(text);
      if (output.length > 2000) output.splice(0, 1000);
      if (options.echo) process.stdout.write(text);
      if (options.readyLine?.test(text)) becomeReady({});
    };
    child.on('message', (message: { type?: string } & Record<string, unknown>) => {
      if (message?.type === 'ready') becomeReady(message);
    });
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      if (ready) return;
      clearTimeout(timer);
      reject(new Error(`${options.name} exited with ${code} before it was ready:\n${output.join('')}`));
    });
  });
}

export interface PrivateRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

export interface PrivateRedisOptions {
  port?: number;
  /**
   * Keep data in this folder with an fsync-always append-only file, as production
   * does, so a restart on the same folder loses nothing. Left on disk by stop().
   */
  persistDir?: string;
}

/** A throwaway redis-server on a free loopback port; keeps nothing on disk unless asked. */
export async function startPrivateRedis(options: PrivateRedisOptions | number = {}): Promise<PrivateRedis> {
  const { port, persistDir } = typeof options === 'number' ? { port: options, persistDir: undefined } : options;
  const chosen = port ?? (await freePort());
  const dir = persistDir ?? mkdtempSync(join(tmpdir(), 'gw-redis-'));
  const persistence = persistDir ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const child = spawn('redis-server', ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir, '--maxmemory-policy', 'noeviction'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${chosen}`;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
    if (!persistDir) rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    if (await pingRedis(url)) return { url, port: chosen, stop };
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`redis-server did not start on port ${chosen}`);
}
