// Import rules for the whole workspace (`npm run lint:cycles`, part of `npm run lint` and `npm test`).
// Type-only imports count (tsPreCompilationDeps): a type cycle between layers is a
// design cycle even when the compiler erases it, and is how the gateway's core and
// its modules once depended on each other.
const MODULES = '^services/gateway/src/modules/';
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules must not depend on each other in a cycle.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'gateway-modules-through-api',
      severity: 'error',
      comment: "A gateway module uses another module only through that module's api.ts (tokens, hooks, slots, types) and the host; tests may load other modules.",
      from: { path: `${MODULES}([^/]+)/`, pathNot: '\\.spec\\.ts$' },
      to: { path: `${MODULES}[^/]+/`, pathNot: [`${MODULES}$1/`, `${MODULES}[^/]+/api\\.ts$`] },
    },
    {
      name: 'gateway-modules-not-into-the-core',
      severity: 'error',
      comment: 'A gateway module sees the gateway through host/ (its context), never the core, the stream, routing or transport.',
      from: { path: MODULES, pathNot: '\\.spec\\.ts$' },
      to: { path: '^services/gateway/src/(gateway-core|gateway-modules|gateway\\.service|app\\.module|main|stream/|routing/|transport/|session/)' },
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
