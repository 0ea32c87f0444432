export * from './category-cache.ts';
export * from './template-owners.ts';
