export { createWorker, type GatewayWorker } from './worker.ts';
export { workerEnvSchema, type WorkerEnv } from './config.ts';
