// ESLint: typescript-eslint's recommended rules over the sources, tests, benchmarks and scripts; in
// src, with types: a promise nobody awaits, catches or marks `void` is an error (its rejection would
// go unseen); no function over 80 lines and no class over 300.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Classes stay small enough to read in one sitting (ESLint has a rule for functions, not classes). */
const local = {
  rules: {
    'max-class-lines': {
      meta: {
        type: 'suggestion',
        schema: [{ type: 'integer', minimum: 1 }],
        messages: { long: 'Class {{name}} has {{lines}} lines (at most {{max}}): split it by concern.' },
      },
      create(context) {
        const max = context.options[0] ?? 300;
        const check = (node) => {
          const lines = node.loc.end.line - node.loc.start.line + 1;
          if (lines > max)
            context.report({ node, messageId: 'long', data: { name: node.id?.name ?? '(anonymous)', lines, max } });
        };
        return { ClassDeclaration: check, ClassExpression: check };
      },
    },
  },
};

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', '.vscode-test/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_`-prefixed names are deliberately unused (callback positions, destructuring).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { local },
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Long functions and classes are split into named steps (blank lines and comments count).
      'max-lines-per-function': ['error', { max: 80 }],
      'local/max-class-lines': ['error', 300],
    },
  },
);
