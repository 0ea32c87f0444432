export * from './audit-store.ts';
export * from './postgres/index.ts';
