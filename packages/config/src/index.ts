export * from './blank.ts';
export * from './env.ts';
export * from './stacks.ts';
export * from './redis.ts';
export * from './redis-connections.ts';
export * from './operations-env.ts';
export * from './close-redis.ts';
export * from './redis-checks.ts';
