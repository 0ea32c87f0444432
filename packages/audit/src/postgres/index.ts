export * from './postgres-audit-store.ts';
export * from './migrate.ts';
export * from './partitions.ts';
export * from './schema.ts';
export * from './retention.ts';
