// Entry point of the archive service.
import 'reflect-metadata';
import { runService } from '@parley/runtime';
import { AppModule, archiveBus } from './app.module';
import { loadArchiveConfig } from './config/config';

async function main(): Promise<void> {
  const config = loadArchiveConfig();
  await runService(AppModule.forRoot(config), { service: 'archive', httpPort: config.HTTP_PORT, httpHost: config.HTTP_HOST, bus: archiveBus(config) });
}

main().catch((e) => {
  console.error(`archive failed to start: ${(e as Error).message}`);
  process.exit(1);
});
