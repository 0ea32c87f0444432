import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@gw/process-tools';
import { JOBS, QUEUES } from '@gw/contracts';

/*
 * docs/architecture.md is the page a newcomer reads first: it must keep naming
 * files that exist and every queue and job the code declares.
 */
const doc = readFileSync(join(REPO_ROOT, 'docs/architecture.md'), 'utf8');

describe('docs/architecture.md', () => {
  it('names only files and folders that exist', () => {
    const paths = [...doc.matchAll(/`((?:apps|packages|test|scripts)\/[\w./-]+)`/g)].map((m) => m[1]!);
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.filter((path) => !existsSync(join(REPO_ROOT, path)))).toEqual([]);
  });

  it('names every queue and every job with its queue', () => {
    for (const queue of Object.values(QUEUES)) expect(doc, queue).toContain(`\`${queue}\``);
    for (const [key, spec] of Object.entries(JOBS)) {
      const row = doc.split('\n').find((line) => line.includes(`\`${spec.name}\` (\`${key}\`)`));
      expect(row, `${key} has a row`).toBeDefined();
      expect(row, `${key} is on ${spec.queue}`).toContain(`| \`${spec.queue}\` |`);
    }
  });
});
