// The whole stack for end-to-end suites and the fault-injection run: real NATS, real
// Postgres, real gateway and service processes from dist/ (build first: `npm test`
// does), each isolated by its own NATS namespace and databases.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthenticatedNats, BusOptions, startAuthenticatedNats } from '@parley/nats';
import { createTestDatabase, TestDatabase, testInfra, uniqueNamespace } from '@parley/testing-stack';
import { GatewayProcess, ServiceProcess, spawnGateway, spawnService } from './gateway-process';

/** The back-end services a suite can start. */
export type ServiceName = 'roster' | 'offline' | 'archive' | 'janitor' | 'upload' | 'profile';

export interface E2EStack {
  /** The suite's own NATS, with Parley's bus permissions: every process connects as its role. */
  nats: AuthenticatedNats;
  natsUrl: string;
  /** Bus connection options for the test itself (the `admin` user). */
  busOptions(name: string): BusOptions;
  /** NATS_URL, NATS_NAMESPACE and the credentials of a role, for processes a test starts itself. */
  busEnv(role: string): Record<string, string>;
  namespace: string;
  gatewayDb: TestDatabase;
  dataDir: string;
  gateways: GatewayProcess[];
  startGateway(env?: Record<string, string>): Promise<GatewayProcess>;
  /** Starts a service process on its own test database; restarts reuse it. */
  startService(name: ServiceName, env?: Record<string, string>): Promise<ServiceProcess & { readyRecord: Record<string, unknown> }>;
  services: Map<string, ServiceProcess>;
  /** The database URL of a service started with startService. */
  serviceDbUrl(name: ServiceName): string;
  stop(): Promise<void>;
}

export async function startStack(label: string): Promise<E2EStack> {
  await testInfra();
  const namespace = uniqueNamespace('e2e');
  const nats = await startAuthenticatedNats(namespace);
  const natsUrl = nats.url;
  const busEnv = (role: string) => ({ NATS_URL: natsUrl, NATS_NAMESPACE: namespace, ...nats.env(role) });
  const gatewayDb = await createTestDatabase(`${label}_gateway`);
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-e2e-'));
  const gateways: GatewayProcess[] = [];
  const services = new Map<string, ServiceProcess>();
  const serviceDbs = new Map<string, TestDatabase>();
  const stack: E2EStack = {
    services,
    serviceDbUrl: (name) => {
      const db = serviceDbs.get(name);
      if (!db) throw new Error(`${name} has no database: start it first`);
      return db.url;
    },
    startService: async (name, env = {}) => {
      let db = serviceDbs.get(name);
      if (!db) {
        db = await createTestDatabase(`${label}_${name}`);
        serviceDbs.set(name, db);
      }
      const p = await spawnService(
        name,
        { ...busEnv(name), [`${name.toUpperCase()}_DATABASE_URL`]: db.url, ...env },
        // The upload service is ready once its public HTTP listener is open (its record carries the port).
        (rec) => rec.msg === (name === 'upload' ? 'upload HTTP listening' : 'Nest application successfully started'),
      );
      services.set(name, p);
      return p;
    },
    nats,
    natsUrl,
    busOptions: (name) => ({ url: natsUrl, name, namespace, ...nats.credentials('admin') }),
    busEnv,
    namespace,
    gatewayDb,
    dataDir,
    gateways,
    startGateway: async (env = {}) => {
      const g = await spawnGateway({ natsUrl, namespace, databaseUrl: gatewayDb.url, dataDir, env: { ...nats.env('gateway'), ...env } });
      gateways.push(g);
      return g;
    },
    stop: async () => {
      await Promise.all([...gateways.map((g) => g.stop()), ...[...services.values()].map((p) => p.stop())]);
      await gatewayDb.drop();
      for (const db of serviceDbs.values()) await db.drop();
      const violations = nats.violations();
      await nats.stop();
      // Every flow of the suite ran under the bus permissions: anything refused is a bug in BUS_ROLES or in a service.
      if (violations.length) throw new Error(`NATS refused ${violations.length} operation(s) for lack of permission:\n${violations.slice(0, 20).join('\n')}`);
    },
  };
  return stack;
}
