// Import-cycle rule for the whole workspace (`npm run lint:cycles`, part of `npm test`).
// Type-only imports count (tsPreCompilationDeps): a type cycle between layers is a
// design cycle even when the compiler erases it, and is how the gateway's core and
// its modules once depended on each other.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules must not depend on each other in a cycle (gateway modules reach each other only through the host API).',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|tmp|\\.nx)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
  },
};
