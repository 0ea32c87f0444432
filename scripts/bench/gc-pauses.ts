import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeOptionsImporting } from './preload.ts';

/** The garbage collector's pauses of a process's main thread so far (gc-preload.mjs). */
export interface GcPauses {
  pauses: number;
  pausedMs: number;
  /** Pauses of 50 ms and more, and of 100 ms and more. */
  over50: number;
  over100: number;
}

export const NO_PAUSES: Readonly<GcPauses> = Object.freeze({ pauses: 0, pausedMs: 0, over50: 0, over100: 0 });

/** Environment under which a process counts its garbage-collection pauses into `dir` (made here). */
export function gcPauseEnv(dir: string): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  return { NODE_OPTIONS: nodeOptionsImporting('gc-preload.mjs'), BENCH_GC_DIR: dir };
}

/** A process's pauses so far (none before its first garbage collection). */
export function gcPauses(dir: string, pid: number): GcPauses {
  try {
    return JSON.parse(readFileSync(join(dir, `${pid}.json`), 'utf8')) as GcPauses;
  } catch {
    return { ...NO_PAUSES };
  }
}

export function pausesBetween(before: GcPauses, after: GcPauses): GcPauses {
  return {
    pauses: after.pauses - before.pauses,
    pausedMs: after.pausedMs - before.pausedMs,
    over50: after.over50 - before.over50,
    over100: after.over100 - before.over100,
  };
}

export function addPauses(a: GcPauses, b: GcPauses): GcPauses {
  return { pauses: a.pauses + b.pauses, pausedMs: a.pausedMs + b.pausedMs, over50: a.over50 + b.over50, over100: a.over100 + b.over100 };
}

/**
 * A process's heap in bytes after it collected all its garbage (gc-preload.mjs), read on request: what its live
 * objects hold. Undefined when the process gives no answer within `timeoutMs` (it was not started by the bench).
 */
export async function heapAfterGc(dir: string, pid: number, timeoutMs = 10_000): Promise<number | undefined> {
  const request = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  try {
    writeFileSync(join(dir, `heap-${pid}`, request), '');
  } catch {
    return undefined;
  }
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
    try {
      const answer = JSON.parse(readFileSync(join(dir, `${pid}.heap.json`), 'utf8')) as { request: string; heapUsed: number };
      if (answer.request === request) return answer.heapUsed;
    } catch {
      // Not answered yet.
    }
  }
  return undefined;
}
