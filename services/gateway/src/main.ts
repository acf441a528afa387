// Entry point of the gateway: one process, or with GATEWAY_WORKERS > 1 a primary and
// that many worker processes (workers/workers.ts).
import 'reflect-metadata';
import cluster from 'node:cluster';
import { createLogger, Health, runService } from '@parley/runtime';
import { AppModule } from './app.module';
import { loadGatewayConfig } from './config/config';
import { loadTls } from './transport/certs';
import { runPrimary, serveWorker } from './workers/workers';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  if (cluster.isPrimary && config.GATEWAY_WORKERS > 1) {
    // a generated certificate is made once, here, so that every worker presents the same one
    await loadTls({ domain: config.XMPP_DOMAIN, certFile: config.TLS_CERT_FILE, keyFile: config.TLS_KEY_FILE, dataDir: config.DATA_DIR });
    await runPrimary({
      workers: config.GATEWAY_WORKERS,
      instanceId: config.INSTANCE_ID,
      httpPort: config.HTTP_PORT,
      httpHost: config.HTTP_HOST,
      stopTimeoutMs: config.SHUTDOWN_DRAIN_TIMEOUT + 15_000,
      log: createLogger('gateway').child({ role: 'primary' }),
    });
    return;
  }
  const worker = cluster.isWorker;
  const app = await runService(AppModule.forRoot(config), {
    service: 'gateway',
    httpPort: config.HTTP_PORT,
    httpHost: config.HTTP_HOST,
    listen: !worker,
    shutdownSignals: worker ? ['SIGTERM'] : undefined,
  });
  if (worker) serveWorker(app.get(Health));
}

main().catch((e) => {
  console.error(`gateway failed to start: ${(e as Error).message}`);
  process.exit(1);
});
