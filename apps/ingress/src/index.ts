export { createIngress, type Ingress, type RunningIngress } from './ingress.ts';
export { ingressEnvSchema, type IngressEnv } from './config.ts';
