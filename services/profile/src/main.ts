// Entry point of the profile service.
import 'reflect-metadata';
import { runService } from '@parley/runtime';
import { AppModule, profileBus } from './app.module';
import { loadProfileConfig } from './config/config';

async function main(): Promise<void> {
  const config = loadProfileConfig();
  await runService(AppModule.forRoot(config), { service: 'profile', httpPort: config.HTTP_PORT, httpHost: config.HTTP_HOST, bus: profileBus() });
}

main().catch((e) => {
  console.error(`profile failed to start: ${(e as Error).message}`);
  process.exit(1);
});
