import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { call } from './test-support.ts';

const appDir = fileURLToPath(new URL('..', import.meta.url));

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: appDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

describe('main.ts', () => {
  it('loads the demo seed, announces its URL on stdout and exits 0 on SIGTERM', async () => {
    const proc = run({ SIM_PORT: '0', SIM_SEED_FILE: 'seed/demo.json', SIM_LOG_LEVEL: 'silent' });
    const deadline = Date.now() + 10_000;
    let match: RegExpExecArray | null = null;
    while (!match && Date.now() < deadline) {
      match = /meta simulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(proc.output().stdout);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(match, proc.output().stderr).not.toBeNull();
    const res = await call(match![1]!, 'GET', '/2001000000001/message_templates?fields=name', { token: 'demo-meta-token' });
    expect(res.json.data.map((t: { name: string }) => t.name)).toEqual(['summer_sale', 'order_update', 'login_code', 'black_friday']);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  }, 20_000);

  it('exits 1 naming the variable when a value is invalid', async () => {
    const proc = run({ SIM_PORT: 'not-a-port' });
    expect(await proc.exited).toBe(1);
    expect(proc.output().stderr).toContain('SIM_PORT');
  }, 20_000);
});
