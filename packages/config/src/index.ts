export * from './env.ts';
export * from './stacks.ts';
export * from './redis.ts';
