// Entry point of the janitor service.
import 'reflect-metadata';
import { runService } from '@parley/runtime';
import { AppModule, JANITOR_BUS } from './app.module';
import { loadJanitorConfig } from './config/config';

async function main(): Promise<void> {
  const config = loadJanitorConfig();
  await runService(AppModule.forRoot(config), { service: 'janitor', httpPort: config.HTTP_PORT, httpHost: config.HTTP_HOST, bus: JANITOR_BUS });
}

main().catch((e) => {
  console.error(`janitor failed to start: ${(e as Error).message}`);
  process.exit(1);
});
