// Loaded with NODE_OPTIONS=--import into every process the bench starts (gc-pauses.ts): counts the
// garbage collector's pauses of the main thread and keeps the running totals in
// $BENCH_GC_DIR/<pid>.json, which the bench reads before and after each run. On request (a file
// written into $BENCH_GC_DIR/heap-<pid>/), it also collects all garbage and writes the heap that is
// left, what the process's live objects hold, to $BENCH_GC_DIR/<pid>.heap.json.
import { PerformanceObserver } from 'node:perf_hooks';
import { mkdirSync, renameSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';

const dir = process.env.BENCH_GC_DIR;
if (dir) {
  /** Renamed into place: a reader never sees a half-written file. */
  const publish = (name, value) => {
    const file = join(dir, name);
    writeFileSync(`${file}.tmp`, JSON.stringify(value));
    renameSync(`${file}.tmp`, file);
  };
  const totals = { pauses: 0, pausedMs: 0, over50: 0, over100: 0 };
  new PerformanceObserver((list) => {
    for (const { duration } of list.getEntries()) {
      totals.pauses += 1;
      totals.pausedMs += duration;
      if (duration >= 50) totals.over50 += 1;
      if (duration >= 100) totals.over100 += 1;
    }
    publish(`${process.pid}.json`, totals);
  }).observe({ entryTypes: ['gc'] });

  // A directory of this process's own: the bench's requests wake it, and nothing else does.
  const requests = join(dir, `heap-${process.pid}`);
  mkdirSync(requests, { recursive: true });
  let collect;
  let answered;
  watch(requests, (_event, request) => {
    // A new file is reported more than once (created, written): one answer each.
    if (request === answered) return;
    answered = request;
    // The V8 flag set at the first request, not at start: until then the process runs as it would without the bench.
    if (!collect) {
      v8.setFlagsFromString('--expose-gc');
      collect = vm.runInNewContext('gc');
    }
    collect();
    publish(`${process.pid}.heap.json`, { request, heapUsed: process.memoryUsage().heapUsed });
  }).unref();
}
