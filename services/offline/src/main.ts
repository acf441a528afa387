// Entry point of the offline service.
import 'reflect-metadata';
import { runService } from '@parley/runtime';
import { AppModule, offlineBus } from './app.module';
import { loadOfflineConfig } from './config/config';

async function main(): Promise<void> {
  const config = loadOfflineConfig();
  await runService(AppModule.forRoot(config), { service: 'offline', httpPort: config.HTTP_PORT, httpHost: config.HTTP_HOST, bus: offlineBus(config) });
}

main().catch((e) => {
  console.error(`offline failed to start: ${(e as Error).message}`);
  process.exit(1);
});
