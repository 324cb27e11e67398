// Lint as the Temporal SDK does: un-awaited promises are bugs, type-only imports stay type-only,
// and workflow code may not reach for I/O or non-deterministic modules.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const ioModules = [
  'fs', 'fs/promises', 'child_process', 'path', 'os', 'crypto', 'net', 'http', 'https', 'dns', 'url',
  'worker_threads', 'process', 'timers', 'timers/promises',
].flatMap((m) => [m, `node:${m}`]);

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.cache/**', 'test-artifacts/**', '.tmp/**', 'examples/**', 'bin/**', 'eslint.config.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [importX.createNodeResolver({ extensions: ['.ts', '.js', '.mjs'] })],
    },
    rules: {
      // A cycle makes load order matter and hides which module owns an idea (type-only imports count).
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }],
      }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // One idea per file, short enough to read in one sitting (tests and benchmarks excepted).
    files: ['core/**/*.ts', 'workflows/**/*.ts', 'activities/**/*.ts', 'implementers/**/*.ts', 'validation/**/*.ts', 'runtime/**/*.ts', 'worker/**/*.ts', 'client/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }] },
  },
  {
    // Workflows are short drivers: a step that needs more is a function of its own, or pure core.
    files: ['workflows/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...ioModules.map((name) => ({ name, message: 'Workflow code is deterministic: do I/O in an activity.' })),
          ...['execa', 'yaml', '@anthropic-ai/sdk', '@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing']
            .map((name) => ({ name, message: 'Not allowed in the workflow sandbox: call an activity.' })),
        ],
        patterns: [{ group: ['../activities/*', '../activities'], allowTypeImports: true, message: 'Import activities as types only.' },
                   { group: ['../worker/*', '../client/*'], message: 'Workflows may not import the worker or the client.' },
                   { group: ['../runtime/*', '../runtime', '../validation/*', '../validation', '../implementers/*', '../implementers'], allowTypeImports: true, message: 'I/O lives in runtime/, validation/ and implementers/: reach it through an activity.' }],
      }],
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() in a loop.' },
        { name: 'fetch', message: 'Do network I/O in an activity.' }],
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'Use uuid4() or a value from an activity.' }],
    },
  },
);
