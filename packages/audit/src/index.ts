export * from './audit-store.ts';
export * from './fallback-reasons.ts';
export * from './postgres/index.ts';
