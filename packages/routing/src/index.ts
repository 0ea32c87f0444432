export * from './decide-route.ts';
export * from './classify-mm-failure.ts';
export * from './circuit-breaker.ts';
