import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, redisProcessId } from './net.ts';

/** The repository root, so entry points resolve from anywhere. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export const ENTRY_POINTS = {
  ingress: join(REPO_ROOT, 'apps/ingress/src/main.ts'),
  worker: join(REPO_ROOT, 'apps/worker/src/main.ts'),
  /** Ingress and worker in one process. */
  gateway: join(REPO_ROOT, 'apps/gateway/src/main.ts'),
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
 * V8 flags of a process holding both roles (apps/gateway, `pnpm gateway`'s default): the ingress's, and a young
 * generation of up to 64 MB instead of 16. One process allocates for both roles, and with the larger young
 * generation its CPU per message fell in every cell of three runs (docs/performance.md, fourteenth round).
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = [...INGRESS_NODE_FLAGS, '--max-semi-space-size=64'];

/**
 * The V8 flags an entry point runs with (matched by its path in the repository, so another checkout's
 * too): the ingress's are INGRESS_NODE_FLAGS, apps/gateway's GATEWAY_NODE_FLAGS, unless its environment's
 * INGRESS_NODE_FLAGS says otherwise (space-separated; empty: none). Other entry points get none.
 */
export function nodeFlagsOf(entry: string, env: NodeJS.ProcessEnv = {}): readonly string[] {
  const defaults = { ingress: INGRESS_NODE_FLAGS, gateway: GATEWAY_NODE_FLAGS };
  const app = (['ingress', 'gateway'] as const).find((name) => entry.endsWith(join('apps', name, 'src', 'main.ts')));
  if (!app) return [];
  const given = env.INGRESS_NODE_FLAGS;
  return given === undefined ? defaults[app] : given.split(/\s+/).filter(Boolean);
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
   * Its named groups become `ready` (the simulator's `(?<url>…)`: where it really listens).
   */
  readyLine?: RegExp;
  timeoutMs?: number;
  /** Copy the service's output to this process's stderr. */
  echo?: boolean;
}

/**
 * The loopback URL a started service really listens on, from what it announced when ready: its
 * `url` (the simulator's ready line) or its `port`. Start services on port 0 and read this: a port
 * picked beforehand and bound later by the child can be taken in between by another process (even
 * the child's own port-0 operations server), and the caller would then talk to that process.
 */
export function announcedUrl(service: RunningService): string {
  const { port, url } = service.ready;
  if (typeof url === 'string') return url;
  if (typeof port === 'number' && port > 0) return `http://127.0.0.1:${port}`;
  throw new Error(`${service.name} (pid ${service.process.pid}) announced no port`);
}

/** The simulator's ready line, with the URL it listens on (SIM_PORT=0 picks a free port). */
export const SIMULATOR_READY_LINE = /meta simulator listening on (?<url>http:\/\/\S+)/;

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
    /** Each stream's output; the ready line is matched whole, as a chunk may end in the middle of it (of its port). */
    const reader = () => {
      let partial = '';
      return (chunk: Buffer) => {
        const text = chunk.toString();
        output.push(text);
        if (output.length > 2000) output.splice(0, 1000);
        if (options.echo) process.stdout.write(text);
        if (!options.readyLine || ready) return;
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          const match = options.readyLine.exec(line);
          if (match) return becomeReady({ ...match.groups });
        }
      };
    };
    child.on('message', (message: { type?: string } & Record<string, unknown>) => {
      if (message?.type === 'ready') becomeReady(message);
    });
    child.stdout!.on('data', reader());
    child.stderr!.on('data', reader());
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
  /**
   * Start it in a process group of its own, so a Ctrl-C at the terminal (SIGINT to the whole
   * foreground group) does not stop it under the processes still draining against it; stop() ends it.
   */
  ownProcessGroup?: boolean;
}

/**
 * A throwaway redis-server on a free loopback port; keeps nothing on disk unless asked. Ready once
 * the Redis answering on the port is this child (its process id): a free port picked here can be
 * taken by another process before redis-server binds it, and that process's Redis would answer a
 * PING too. Then another free port is tried (a port that was asked for is not replaced: it fails).
 */
export async function startPrivateRedis(options: PrivateRedisOptions | number = {}): Promise<PrivateRedis> {
  const { port, persistDir, ownProcessGroup = false } = typeof options === 'number' ? { port: options } : options;
  const failures: string[] = [];
  for (let attempt = 0; attempt < (port === undefined ? 5 : 1); attempt++) {
    const started = await tryPrivateRedis(port ?? (await freePort()), persistDir, ownProcessGroup);
    if (typeof started !== 'string') return started;
    failures.push(started);
  }
  throw new Error(`redis-server did not start: ${failures.join('; ')}`);
}

async function tryPrivateRedis(chosen: number, persistDir: string | undefined, detached: boolean): Promise<PrivateRedis | string> {
  const dir = persistDir ?? mkdtempSync(join(tmpdir(), 'gw-redis-'));
  const persistence = persistDir ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const child = spawn('redis-server', ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir, '--maxmemory-policy', 'noeviction'], {
    stdio: 'ignore',
    detached,
  });
  const url = `redis://127.0.0.1:${chosen}`;
  let ended = false;
  const exited = new Promise<void>((r) =>
    child.once('exit', () => {
      ended = true;
      r();
    }),
  );
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
    if (!persistDir) rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100 && !ended; i++) {
    if ((await redisProcessId(url)) === child.pid) return { url, port: chosen, stop };
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  return ended ? `port ${chosen} taken (redis-server exited)` : `no answer of its own on port ${chosen}`;
}
