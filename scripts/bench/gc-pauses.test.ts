import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gcPauseEnv, gcPauses, heapAfterGc, NO_PAUSES, pausesBetween } from './gc-pauses.ts';

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

  it("reads a real process's heap after a full collection, on request: what its live objects hold", async () => {
    // Its garbage is collected before each reading; what it keeps after the first one is read in the second.
    const script = `globalThis.kept = []; process.stdin.on('data', () => { for (let i = 0; i < 80; i++) kept.push(new Array(12500).fill(i)); for (let i = 0; i < 100; i++) new Array(12500).fill(i); process.stdout.write('grown'); }); process.stdout.write('ready');`;
    const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, ...gcPauseEnv(dir) }, stdio: ['pipe', 'pipe', 'inherit'] });
    const said = (word: string) => new Promise<void>((resolve) => child.stdout.on('data', (data: Buffer) => data.toString().includes(word) && resolve()));
    try {
      await said('ready');
      const before = await heapAfterGc(dir, child.pid!);
      const grown = said('grown');
      child.stdin.write('grow');
      await grown;
      const after = await heapAfterGc(dir, child.pid!);
      expect(before).toBeGreaterThan(0);
      // 80 arrays of 12,500 small integers (8 bytes each) kept: about 8 MB more; the 100 it dropped are not counted.
      expect(after! - before!).toBeGreaterThan(7_500_000);
      expect(after! - before!).toBeLessThan(10_000_000);
    } finally {
      child.kill();
    }
  });

  it('reads no heap of a process the bench did not start', async () => {
    expect(await heapAfterGc(dir, 999_999_999, 200)).toBeUndefined();
  });
});
