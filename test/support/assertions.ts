import type { RunningService } from '@gw/process-tools';
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

/** The send ids (`<queue job>.<item>`) a worker process logged as sent (LOG_LEVEL info), read from its own output. */
export function sendsLoggedBy(process: RunningService): Set<string> {
  const ids = new Set<string>();
  for (const line of process.output.join('').split('\n')) {
    if (!line.includes('"msg":"send"')) continue;
    try {
      const entry = JSON.parse(line) as { jobId?: string };
      if (entry.jobId) ids.add(entry.jobId);
    } catch {
      // a line cut by the output buffer
    }
  }
  return ids;
}
