// Lint rules for every TypeScript file of the workspace, type-aware (each file is
// checked with the tsconfig.json of its package). `pnpm lint` runs it, and so does `pnpm test`.
import tseslint from 'typescript-eslint';

/** Tests and test helpers: they read untyped JSON answers (`body: any`) on purpose. */
const testFiles = ['test/**/*.ts', '**/*.test.ts', 'apps/meta-simulator/src/test-support.ts'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.turbo/**', 'deploy/**', '**/*.js'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    // Everywhere, tests and the Meta simulator included: no promise is dropped or handed where nothing awaits it.
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  // The gateway's own code and the Meta simulator: every recommended rule, the type-checked ones included.
  {
    files: ['**/*.ts'],
    ignores: testFiles,
    extends: [tseslint.configs.recommendedTypeChecked],
    rules: {
      // `_name` marks a parameter or binding kept on purpose (Express error handlers need four parameters).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // `declare global { namespace Express { ... } }` is how Express's request types are extended.
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
    },
  },
);
