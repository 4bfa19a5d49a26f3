// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['**/dist/**', '**/coverage/**', '**/node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // The test configs include sources, tests and benches, so one program covers each package.
        project: [
          'packages/*/tsconfig.test.json',
          'e2e/tsconfig.json',
          'bench/tsconfig.json',
          'packages/web/tsconfig.json',
          'tsconfig.tools.json',
        ],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Bitwise and index arithmetic in the encoders is deliberate; non-null assertions are not.
      '@typescript-eslint/no-non-null-assertion': 'error',
    },
  },
  {
    files: ['**/*.test.ts', '**/bench/**/*.ts', '**/testing/**/*.ts'],
    rules: {
      // Tests index into results they have just asserted on, and mutate fixtures by key.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-dynamic-delete': 'off',
    },
  },
  {
    files: ['*.js', 'packages/*/bin/*.js', 'packages/*/scripts/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
)
