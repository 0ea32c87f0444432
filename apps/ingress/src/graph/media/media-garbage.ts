import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Frees the buffers of streamed media sooner than V8 would. Every piece of an upload or download is a
 * new buffer of up to 64 KB (Node's HTTP parser copies each piece of a request body; each read of
 * Meta's answer is one), garbage once written on. V8 frees them only at a young-generation GC and,
 * since a transfer allocates little JavaScript, runs one only when 32 MB of them wait: a 100 MB
 * transfer would grow the process's memory by that much. A young-generation GC after every
 * `everyBytes` moved bounds it to about that much instead, for well under a millisecond each.
 */
export class MediaGarbage {
  private moved = 0;

  /** `everyBytes` 0: never collects (V8 decides alone). */
  constructor(
    private readonly collect: () => void,
    private readonly everyBytes: number,
  ) {}

  /** Counts bytes a transfer moved; collects once `everyBytes` have moved since the last collection. */
  count(bytes: number): void {
    if (this.everyBytes === 0) return;
    this.moved += bytes;
    if (this.moved < this.everyBytes) return;
    this.moved %= this.everyBytes;
    this.collect();
  }
}

type GcFunction = (options: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

/**
 * V8's young-generation (minor) GC, on demand. `--expose-gc` set at run time exposes `gc` to contexts
 * created afterwards, so it needs no flag on the node command line; the collection is the whole
 * isolate's, whichever context asks.
 */
export function youngGenerationGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as GcFunction;
  return () => gc({ type: 'minor' });
}
