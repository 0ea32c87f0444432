import type { SimulatorControl } from './harness.ts';

/** What Meta (the simulator) received for one template name. */
export async function callsFor(sim: SimulatorControl, templateName: string) {
  const requests = await sim.requests();
  const mine = requests.filter((r) => r.body?.template?.name === templateName);
  return {
    mm: mine.filter((r) => r.endpoint === 'marketing_messages').length,
    cloud: mine.filter((r) => r.endpoint === 'messages').length,
    requests: mine,
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
