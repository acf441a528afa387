// Entry point of the roster service.
import 'reflect-metadata';
import { runService } from '@parley/runtime';
import { AppModule, ROSTER_BUS } from './app.module';
import { loadRosterConfig } from './config/config';

async function main(): Promise<void> {
  const config = loadRosterConfig();
  await runService(AppModule.forRoot(config), { service: 'roster', httpPort: config.HTTP_PORT, httpHost: config.HTTP_HOST, bus: ROSTER_BUS });
}

main().catch((e) => {
  console.error(`roster failed to start: ${(e as Error).message}`);
  process.exit(1);
});
