export * from './net.ts';
export * from './services.ts';
export * from './lifecycle.ts';
export * from './secrets.ts';
export * from './postgres.ts';
export * from './layout.ts';
