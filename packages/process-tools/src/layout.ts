/** The processes `pnpm gateway` starts on a host (and the bench, which measures what it starts). */
export interface GatewayLayout {
  /** Processes holding both roles, ingress and worker (apps/gateway). */
  combined: number;
  /** Separate ingress processes (apps/ingress). */
  ingresses: number;
  /** Separate worker processes (apps/worker). */
  workers: number;
  /** The environment every process gets on top of the host's: the layout's defaults (SEND_CARRIERS). */
  env: Record<string, string>;
}

/** Blank means unset, as for every setting (packages/config's blankIsUnset). */
const setting = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value);
const count = (value: string | undefined, fallback: number) => {
  const set = setting(value);
  return set === undefined ? fallback : Math.max(0, Number(set) || 0);
};

/**
 * What `pnpm gateway` starts. By default one process holding both roles, with send carriers: on the project's
 * 2-core machine the layout that came closest to every target of issue 13 (docs/performance.md, thirteenth
 * round). GATEWAY_PROCESSES=N asks for N such processes; INGRESS_PROCESSES or WORKER_PROCESSES alone asks for
 * the separate processes (each defaults to 1 then), GATEWAY_PROCESSES=0 for one of each.
 *
 * Processes holding both roles get SEND_CARRIERS (lanes per ingress) unless it is set: one lane per process
 * that runs a worker on this host, so each process has about one lane whose carrier is its own. Separate
 * processes keep a BullMQ job per batch unless SEND_CARRIERS is set.
 */
export function gatewayLayout(env: NodeJS.ProcessEnv): GatewayLayout {
  const separateAsked = setting(env.INGRESS_PROCESSES) ?? setting(env.WORKER_PROCESSES);
  const combined = count(env.GATEWAY_PROCESSES, separateAsked === undefined ? 1 : 0);
  const separate = combined > 0 ? 0 : 1;
  const ingresses = count(env.INGRESS_PROCESSES, separate);
  const workers = count(env.WORKER_PROCESSES, separate);
  return {
    combined,
    ingresses,
    workers,
    env: combined > 0 && setting(env.SEND_CARRIERS) === undefined ? { SEND_CARRIERS: String(combined + workers) } : {},
  };
}
