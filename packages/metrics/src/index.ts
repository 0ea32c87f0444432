export * from './gateway-metrics.ts';
export * from './queue-collector.ts';
export * from './queue-metrics.ts';
