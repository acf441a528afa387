// The whole stack for end-to-end suites: real NATS, real Postgres, real gateway
// processes from dist/ (build first: `npm test` does), each suite isolated by its
// own NATS namespace and databases.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, TestDatabase, testInfra, uniqueNamespace } from '@parley/testing-stack';
import { GatewayProcess, spawnGateway } from '@parley/testing-xmpp';

export interface E2EStack {
  natsUrl: string;
  namespace: string;
  gatewayDb: TestDatabase;
  dataDir: string;
  gateways: GatewayProcess[];
  startGateway(env?: Record<string, string>): Promise<GatewayProcess>;
  stop(): Promise<void>;
}

export async function startStack(label: string): Promise<E2EStack> {
  const { natsUrl } = await testInfra();
  const namespace = uniqueNamespace('e2e');
  const gatewayDb = await createTestDatabase(`${label}_gateway`);
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-e2e-'));
  const gateways: GatewayProcess[] = [];
  const stack: E2EStack = {
    natsUrl,
    namespace,
    gatewayDb,
    dataDir,
    gateways,
    startGateway: async (env = {}) => {
      const g = await spawnGateway({ natsUrl, namespace, databaseUrl: gatewayDb.url, dataDir, env });
      gateways.push(g);
      return g;
    },
    stop: async () => {
      await Promise.all(gateways.map((g) => g.stop()));
      await gatewayDb.drop();
    },
  };
  return stack;
}
