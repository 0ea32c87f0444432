import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENTRY_POINTS, GATEWAY_NODE_FLAGS, INGRESS_NODE_FLAGS, nodeFlagsOf } from './services.ts';

describe('nodeFlagsOf', () => {
  it("gives the ingress its V8 flags, also another checkout's ingress (the bench's --before)", () => {
    expect(nodeFlagsOf(ENTRY_POINTS.ingress)).toEqual(INGRESS_NODE_FLAGS);
    expect(nodeFlagsOf(join('/elsewhere', 'apps', 'ingress', 'src', 'main.ts'))).toEqual(INGRESS_NODE_FLAGS);
    expect(INGRESS_NODE_FLAGS).toEqual(['--no-wasm-tier-up', '--no-wasm-dynamic-tiering']);
  });

  it('gives a process holding both roles the ingress’s flags and a larger young generation', () => {
    expect(nodeFlagsOf(ENTRY_POINTS.gateway)).toEqual(GATEWAY_NODE_FLAGS);
    expect(GATEWAY_NODE_FLAGS).toEqual(['--no-wasm-tier-up', '--no-wasm-dynamic-tiering', '--max-semi-space-size=64']);
  });

  it("takes the ingress's from INGRESS_NODE_FLAGS in its environment when set (empty: none)", () => {
    expect(nodeFlagsOf(ENTRY_POINTS.ingress, { INGRESS_NODE_FLAGS: '' })).toEqual([]);
    expect(nodeFlagsOf(ENTRY_POINTS.gateway, { INGRESS_NODE_FLAGS: '--no-wasm-tier-up' })).toEqual(['--no-wasm-tier-up']);
    expect(nodeFlagsOf(ENTRY_POINTS.ingress, { INGRESS_NODE_FLAGS: ' --max-semi-space-size=2  --no-wasm-tier-up ' })).toEqual(['--max-semi-space-size=2', '--no-wasm-tier-up']);
    expect(nodeFlagsOf(ENTRY_POINTS.worker, { INGRESS_NODE_FLAGS: '--max-semi-space-size=2' })).toEqual([]);
  });

  it('gives the worker, the simulator and the baseline proxy none', () => {
    for (const entry of [ENTRY_POINTS.worker, ENTRY_POINTS.simulator, ENTRY_POINTS.baselineProxy]) expect(nodeFlagsOf(entry)).toEqual([]);
  });
});
