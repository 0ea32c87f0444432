/** Top self-time functions of a .cpuprofile: `tsx scripts/bench/profile-summary.ts FILE [N]`. */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export function summariseProfile(file: string, top = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[] };
  const total = profile.samples.length;
  const self = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const short = url
      .replace(/^file:\/\//, '')
      .replace(/.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
      .replace('/work/main/', '');
    const key = `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + hits);
    const pkg = url.includes('node_modules')
      ? short
          .split('/')
          .slice(0, short.startsWith('@') ? 2 : 1)
          .join('/')
      : url.startsWith('node:')
        ? 'node:internal'
        : url
          ? short.split('/').slice(0, 2).join('/')
          : functionName || '(native)';
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
  }
  const pct = (n: number) => `${((100 * n) / total).toFixed(1)}%`;
  const lines = [`${file}: ${total} samples`, 'by package:'];
  for (const [k, v] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`  ${pct(v).padStart(6)} ${k}`);
  lines.push('top self time:');
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(v).padStart(6)} ${k}`);
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('profile-summary.ts')) {
  for (const file of process.argv.slice(2).filter((a) => a.endsWith('.cpuprofile'))) console.log(summariseProfile(file, Number(process.argv.at(-1)) || 25));
}
