export * from './secret-box.ts';
export * from './stored-stack.ts';
export * from './stack-store.ts';
export * from './live-directory.ts';
export * from './open-stacks.ts';
