import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gcPauseEnv, gcPauses, NO_PAUSES, pausesBetween } from './gc-pauses.ts';

const dir = mkdtempSync(join(tmpdir(), 'gc-pauses-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A real Node process under the bench's environment that collects garbage `times` times, then waits to be read. */
function collector(times: number) {
  const script = `for (let i = 0; i < ${times}; i++) globalThis.gc(); setTimeout(() => process.stdout.write('done'), 100); setTimeout(() => {}, 10000);`;
  const child = spawn(process.execPath, ['--expose-gc', '-e', script], { env: { ...process.env, ...gcPauseEnv(dir) }, stdio: ['ignore', 'pipe', 'inherit'] });
  const done = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return { child, done };
}

describe('garbage-collection pauses of the processes the bench starts', () => {
  it('counts every pause of a real process, read from outside it', async () => {
    const { child, done } = collector(5);
    try {
      await done;
      const pauses = gcPauses(dir, child.pid!);
      expect(pauses.pauses).toBeGreaterThanOrEqual(5);
      expect(pauses.pausedMs).toBeGreaterThan(0);
      expect(pauses.over50).toBeLessThanOrEqual(pauses.pauses);
    } finally {
      child.kill();
    }
  });

  it('reads a process that has not collected yet as no pauses, and takes differences between readings', () => {
    expect(gcPauses(dir, 999_999_999)).toEqual(NO_PAUSES);
    expect(pausesBetween({ pauses: 3, pausedMs: 12.5, over50: 1, over100: 0 }, { pauses: 7, pausedMs: 80, over50: 2, over100: 1 })).toEqual({
      pauses: 4,
      pausedMs: 67.5,
      over50: 1,
      over100: 1,
    });
  });
});
