// Entry point of the gateway.
import 'reflect-metadata';
import { runService } from '@parley/runtime';
import { AppModule } from './app.module';
import { loadGatewayConfig } from './config/config';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  await runService(AppModule.forRoot(config), { service: 'gateway', httpPort: config.HTTP_PORT, httpHost: config.HTTP_HOST });
}

main().catch((e) => {
  console.error(`gateway failed to start: ${(e as Error).message}`);
  process.exit(1);
});
