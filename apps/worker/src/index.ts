export { createWorker, type GatewayWorker, type WorkerOptions } from './worker.ts';
export { workerEnvSchema, type WorkerEnv } from './config.ts';
