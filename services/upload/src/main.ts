// Entry point of the upload service: the bus handlers and health (runService), then the
// public HTTP listener for PUTs and GETs.
import 'reflect-metadata';
import { LOGGER, Logger, runService } from '@parley/runtime';
import { AppModule, UPLOAD_BUS } from './app.module';
import { loadUploadConfig } from './config/config';
import { PublicUrl } from './http/public-url';
import { UploadHttp } from './http/upload-http';

async function main(): Promise<void> {
  const config = loadUploadConfig();
  const app = await runService(AppModule.forRoot(config), { service: 'upload', httpPort: config.HTTP_PORT, httpHost: config.HTTP_HOST, bus: UPLOAD_BUS });
  const port = await app.get(UploadHttp).listen();
  app.get<Logger>(LOGGER).info({ uploadPort: port, publicUrl: app.get(PublicUrl).base() }, 'upload HTTP listening');
}

main().catch((e) => {
  console.error(`upload failed to start: ${(e as Error).message}`);
  process.exit(1);
});
