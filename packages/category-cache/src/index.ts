export * from './category-cache.ts';
