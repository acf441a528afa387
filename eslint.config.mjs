// Lint: TypeScript rules plus Nx module boundaries — protocol libs import only
// protocol libs, contracts import nothing, services never import each other.
import nx from '@nx/eslint-plugin';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/tmp', '**/.nx', '**/*.cjs', '**/*.mjs', '**/*.js'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'scope:protocol', onlyDependOnLibsWithTags: ['scope:protocol'] },
            { sourceTag: 'scope:contracts', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:platform', onlyDependOnLibsWithTags: ['scope:platform', 'scope:contracts', 'scope:protocol', 'scope:testing'] },
            { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:testing', 'scope:platform', 'scope:contracts', 'scope:protocol'] },
            { sourceTag: 'scope:service', onlyDependOnLibsWithTags: ['scope:protocol', 'scope:contracts', 'scope:platform', 'scope:testing'] },
            { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['scope:protocol', 'scope:contracts', 'scope:platform', 'scope:testing'] },
          ],
        },
      ],
      '@typescript-eslint/no-unsafe-function-type': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-empty-function': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
];
