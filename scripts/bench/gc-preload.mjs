// Loaded with NODE_OPTIONS=--import into every process the bench starts (gc-pauses.ts): counts the
// garbage collector's pauses of the main thread and keeps the running totals in
// $BENCH_GC_DIR/<pid>.json, which the bench reads before and after each run.
import { PerformanceObserver } from 'node:perf_hooks';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.BENCH_GC_DIR;
if (dir) {
  const file = join(dir, `${process.pid}.json`);
  const totals = { pauses: 0, pausedMs: 0, over50: 0, over100: 0 };
  new PerformanceObserver((list) => {
    for (const { duration } of list.getEntries()) {
      totals.pauses += 1;
      totals.pausedMs += duration;
      if (duration >= 50) totals.over50 += 1;
      if (duration >= 100) totals.over100 += 1;
    }
    // Renamed into place: a reader never sees a half-written file.
    writeFileSync(`${file}.tmp`, JSON.stringify(totals));
    renameSync(`${file}.tmp`, file);
  }).observe({ entryTypes: ['gc'] });
}
