export * from './net.ts';
export * from './services.ts';
