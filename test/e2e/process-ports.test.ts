import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTRY_POINTS, freePort, redisProcessId, startPrivateRedis, startService, type PrivateRedis } from '@gw/process-tools';
import { makeStack, post, startGateway, startSimulator, type Gateway, type Simulator } from '../support/harness.ts';

/**
 * A test must only ever talk to the processes it started. A port picked by the test and bound
 * later by the child can be taken in between (by the child's own operations port, bound first on
 * port 0, or by anyone else): the child must then fail, not announce a port another server answers on.
 */
const stack = makeStack();
let sim: Simulator;
let gateway: Gateway;
let holder: Server;
let heldPort: number;

beforeAll(async () => {
  sim = await startSimulator();
  gateway = await startGateway({ stacks: [stack], metaUrl: sim.url });
  // A port this file holds: nobody else can take it while the tests run.
  holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  heldPort = (holder.address() as { port: number }).port;
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
  await new Promise((resolve) => holder?.close(resolve));
});

/** Why a start failed, or 'started' (the process is then stopped: a failed test leaves nothing running). */
const failureOf = (started: Promise<{ stop(): Promise<unknown> }>) =>
  started.then(
    async (running) => {
      await running.stop();
      return 'started';
    },
    (error: Error) => error.message,
  );

describe('ports of the processes the tests start', () => {
  it('an ingress whose PORT is taken exits 1 naming PORT, instead of announcing a port another server answers on', async () => {
    const failure = await failureOf(startService({ name: 'ingress', entry: ENTRY_POINTS.ingress, env: { ...gateway.env, PORT: String(heldPort), HOST: '127.0.0.1' } }));
    expect(failure).toMatch(new RegExp(`exited with 1 before it was ready[\\s\\S]*PORT ${heldPort} on 127.0.0.1 is already in use`));
  });

  it('an ingress given its own operations port as PORT (the CI failure: the main app on a port its /metrics server took) exits 1', async () => {
    const port = String(await freePort());
    const failure = await failureOf(
      startService({
        name: 'ingress',
        entry: ENTRY_POINTS.ingress,
        env: { ...gateway.env, PORT: port, INGRESS_METRICS_PORT: port, HOST: '127.0.0.1', INGRESS_METRICS_HOST: '127.0.0.1' },
      }),
    );
    expect(failure).toMatch(/exited with 1 before it was ready[\s\S]*PORT \d+ .*already in use/);
  });

  it('a simulator whose SIM_PORT is taken exits instead of becoming ready', async () => {
    const failure = await failureOf(startSimulator({ SIM_PORT: String(heldPort) }));
    expect(failure).toMatch(/exited with 1 before it was ready[\s\S]*SIM_PORT/);
  });

  it('the harness reaches the ingress and simulator it started: each listens on port 0 and the harness uses the port it announced', async () => {
    const [ingress] = gateway.ingresses;
    expect(gateway.url).toBe(`http://127.0.0.1:${String(ingress!.ready.port)}`);
    expect(new URL(sim.url).port).not.toBe('0');
    // The ingress's own answer (Meta's format, 401 without a key), not an operations port's 404 (the CI failure's).
    const answer = await post(`${gateway.url}/v24.0/${stack.phoneNumberId}/media`, {});
    expect([answer.status, answer.body?.error?.code]).toEqual([401, 190]);
    expect((await sim.control.counters()) as unknown).toBeTypeOf('object');
  });

  it('a private Redis on a port another Redis holds fails, instead of handing back the other one', async () => {
    let first: PrivateRedis | undefined;
    try {
      first = await startPrivateRedis();
      expect(await redisProcessId(first.url)).toBeGreaterThan(0);
      const second = await failureOf(startPrivateRedis(first.port));
      expect(second).toMatch(new RegExp(`redis-server did not start: port ${first.port} taken`));
    } finally {
      await first?.stop();
    }
  });
});
