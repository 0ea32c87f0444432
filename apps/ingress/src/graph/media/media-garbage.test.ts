import { describe, expect, it } from 'vitest';
import { MediaGarbage } from './media-garbage.ts';

describe('MediaGarbage', () => {
  it('collects once every everyBytes moved, however the pieces fall', () => {
    let collections = 0;
    const garbage = new MediaGarbage(() => collections++, 100);
    for (let i = 0; i < 9; i++) garbage.count(30);
    expect(collections).toBe(2);
    garbage.count(30);
    expect(collections).toBe(3);
  });

  it('never collects with everyBytes 0', () => {
    let collections = 0;
    const garbage = new MediaGarbage(() => collections++, 0);
    for (let i = 0; i < 10; i++) garbage.count(64 * 1024);
    expect(collections).toBe(0);
  });
});
