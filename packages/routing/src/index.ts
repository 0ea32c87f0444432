export * from './decide-route.ts';
export * from './failure-policy.ts';
export * from './circuit-breaker.ts';
