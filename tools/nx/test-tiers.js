// Nx plugin: the test tiers of every project with a jest config, by file suffix
// (docs/adding-a-service.md, "Tests"):
//   test-unit  pure `*.spec.ts` (no NATS, no Postgres): every spec except `*.int.spec.ts`
//   test-int   `*.int.spec.ts`: one service or library against real NATS and Postgres
//   e2e        the e2e project's `*.e2e.spec.ts`: the built stack through real XMPP clients
// The @nx/jest plugin's `test` target still runs a project's whole jest config.
const { dirname } = require('node:path');

const jest = (root, args) => `npx jest -c ${root}/jest.config.cjs --passWithNoTests ${args}`.trim();

function targetsOf(root) {
  if (root === 'e2e') {
    return {
      e2e: {
        executor: 'nx:run-commands',
        options: { command: `node scripts/build.mjs && ${jest(root, '')}`, cwd: '{workspaceRoot}' },
        cache: false,
      },
    };
  }
  return {
    'test-unit': {
      executor: 'nx:run-commands',
      options: { command: jest(root, `--testPathIgnorePatterns '/node_modules/' '\\.int\\.spec\\.ts$'`), cwd: '{workspaceRoot}' },
      cache: false,
    },
    'test-int': {
      executor: 'nx:run-commands',
      options: { command: jest(root, `--testPathPatterns '\\.int\\.spec\\.ts$'`), cwd: '{workspaceRoot}' },
      cache: false,
    },
  };
}

const createNodes = [
  '**/jest.config.cjs',
  async (configFiles) =>
    configFiles.map((file) => {
      const root = dirname(file);
      return [file, { projects: { [root]: { targets: targetsOf(root) } } }];
    }),
];

module.exports = { createNodes, createNodesV2: createNodes };
