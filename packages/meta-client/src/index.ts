export * from './meta-client.ts';
