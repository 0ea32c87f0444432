/**
 * `pnpm gateway`: the production entry. Runs one process holding both roles, ingress and worker, with send
 * carriers (GATEWAY_PROCESSES to change), or separate ingress and worker processes (INGRESS_PROCESSES /
 * WORKER_PROCESSES, or GATEWAY_PROCESSES=0): process-tools' gatewayLayout. Configured only by the
 * environment; stops them all on SIGTERM or SIGINT.
 */
import { ENTRY_POINTS, gatewayLayout, startService, type RunningService } from '@gw/process-tools';

const layout = gatewayLayout(process.env);
const { combined } = layout;

async function main() {
  const services: RunningService[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    // Ingress first: no new sends; then the workers finish what is in flight (a gateway-N process does both in that order).
    const results = await Promise.all(services.filter((s) => !s.name.startsWith('worker')).map((s) => s.stop('SIGTERM', 30_000)));
    results.push(...(await Promise.all(services.filter((s) => s.name.startsWith('worker')).map((s) => s.stop('SIGTERM', 30_000)))));
    process.exit(code || (results.some((c) => c !== 0) ? 1 : 0));
  };
  process.on('SIGTERM', () => void stopAll(0));
  process.on('SIGINT', () => void stopAll(0));

  const start = (name: string, entry: string, env: NodeJS.ProcessEnv) => startService({ name, entry, env, echo: true, timeoutMs: 60_000 });
  // Each worker on this host serves /metrics on its own port: WORKER_METRICS_PORT, +1, +2, ... (0: free ports).
  const metricsBase = Number(process.env.WORKER_METRICS_PORT ?? 9464);
  const workerEnv = (i: number) => ({ ...process.env, ...layout.env, WORKER_METRICS_PORT: String(metricsBase === 0 ? 0 : metricsBase + i) });
  // Likewise each ingress listens on PORT, +1, +2, ...: put a load balancer in front of them.
  const portBase = Number(process.env.PORT ?? 8080);
  // and serves /metrics on INGRESS_METRICS_PORT, +1, +2, ... (its operations port).
  const opsBase = Number(process.env.INGRESS_METRICS_PORT ?? 9480);
  const ingressEnv = (i: number) => ({
    ...process.env,
    ...layout.env,
    PORT: String(portBase === 0 ? 0 : portBase + i),
    INGRESS_METRICS_PORT: String(opsBase === 0 ? 0 : opsBase + i),
  });
  try {
    for (let i = 0; i < layout.workers; i++) services.push(await start(`worker-${i}`, ENTRY_POINTS.worker, workerEnv(combined + i)));
    for (let i = 0; i < combined; i++)
      services.push(await start(`gateway-${i}`, ENTRY_POINTS.gateway, { ...ingressEnv(i), WORKER_METRICS_PORT: workerEnv(i).WORKER_METRICS_PORT }));
    for (let i = 0; i < layout.ingresses; i++) services.push(await start(`ingress-${i}`, ENTRY_POINTS.ingress, ingressEnv(combined + i)));
  } catch (error) {
    console.error(String((error as Error).message));
    await stopAll(1);
    return;
  }
  for (const service of services) {
    void service.exited.then((code) => {
      if (stopping) return;
      console.error(`${service.name} exited unexpectedly with code ${code}; stopping the gateway`);
      void stopAll(code || 1);
    });
  }
}

void main();
