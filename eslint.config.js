import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.bench-data/**', 'coverage/**', 'test-results/**', '.electron-native/**', 'release/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    files: ['**/*.ts', '**/*.svelte', '**/*.svelte.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Each thread compiles and keeps what it imports (docs/performance.md, round 13).
    files: ['electron/**/*.ts', 'shared/**/*.ts'],
    ignores: ['electron/ledger/pricing/price-package.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@pydantic/genai-prices', allowTypeImports: true, message: 'Use pricePackage() (electron/ledger/pricing/price-package.ts): the package loads at its first use, not in every thread.' },
            { name: 'date-fns', message: "Import each function from its own path ('date-fns/addDays'): the index loads all ~250 of them." },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.svelte', 'renderer/**/*.svelte.ts', 'renderer/**/*.ts', 'test/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    files: ['scripts/**/*.mjs', '*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
  },
);
