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
 * and the bench; the Dockerfile's and docker-compose.yml's command repeat them; docs/operating.md has
 * the figures): undici's HTTP parser (llhttp, WebAssembly) stays on V8's baseline compiler. V8
 * re-compiles it with its optimizing compiler once it is hot, on a fresh ingress during its first
 * large media transfer, and that took 20 to 28 MB of compiler memory for a moment (issue #12). The
 * ingress parses only Meta's answers to pass-through calls with it; its send path does not use undici.
 */
export const INGRESS_NODE_FLAGS: readonly string[] = ['--no-wasm-tier-up', '--no-wasm-dynamic-tiering'];

/**
 * Opt-in (INGRESS_NODE_FLAGS=`${MEDIA_MEMORY_NODE_FLAGS} ${INGRESS_NODE_FLAGS}`), not the default: they
 * keep a 100 MB media transfer from growing the ingress's memory by more than 20 MB, and cost its send
 * path much of its throughput. Every socket read of a transfer is a fresh buffer of up to 64 KB,
 * garbage once written on, which V8 frees only at a young-generation GC; left alone it runs one when
 * 32 MB of them wait (a fixed threshold). A 1 MB young generation collected once a tenth full frees
 * them every few MB, and collects the send path's objects as often.
 */
export const MEDIA_MEMORY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--minor-gc-task-trigger=10'];

/**
 * The V8 flags an entry point runs with (matched by its path in the repository, so another checkout's
 * too): the ingress's are INGRESS_NODE_FLAGS unless its environment's INGRESS_NODE_FLAGS says otherwise
 * (space-separated; empty: none).
 */
export function nodeFlagsOf(entry: string, env: NodeJS.ProcessEnv = {}): readonly string[] {
  if (!entry.endsWith(join('apps', 'ingress', 'src', 'main.ts'))) return [];
  const given = env.INGRESS_NODE_FLAGS;
  return given === undefined ? INGRESS_NODE_FLAGS : given.split(/\s+/).filter(Boolean);
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
  const child = spawn(process.execPath, [...nodeFlagsOf(options.entry, options.env), '--import', 'tsx', options.entry], {
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
