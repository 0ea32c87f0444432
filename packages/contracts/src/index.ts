export * from './queues.ts';
export * from './send-job.ts';
export * from './meta-error.ts';
export * from './language.ts';
export * from './redis-keys.ts';
export * from './message-payload.ts';
export * from './template-sync-job.ts';
export * from './webhook-jobs.ts';
