// Health and metrics stay off public interfaces unless an operator asks for it.
import type { AddressInfo } from 'node:net';
import { INestApplication, Module } from '@nestjs/common';
import { loadConfig } from '@parley/config';
import { Bus } from '@parley/nats';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { RuntimeModule, runService } from './runtime';
import { commonOptions } from './service-config';

// A service's shape as runService sees it: the runtime module, a bus and a database (stand-ins: nothing here connects).
@Module({
  imports: [RuntimeModule.forRoot('runtime-spec', pino({ level: 'silent' }))],
  providers: [
    { provide: Bus, useValue: { isConnected: () => true } },
    { provide: DataSource, useValue: { isInitialized: true, query: async () => [{ ok: 1 }] } },
  ],
})
class ProbeOnlyModule {}

describe('health and metrics listener', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('binds loopback by default (HTTP_HOST unset), and serves /healthz there', async () => {
    const config = loadConfig(commonOptions('gateway'), { HTTP_PORT: '0' });
    expect(config.HTTP_HOST).toBe('127.0.0.1');
    app = await runService(ProbeOnlyModule, { service: 'runtime-spec', httpPort: config.HTTP_PORT });
    const address = app.getHttpServer().address() as AddressInfo;
    expect(address.address).toBe('127.0.0.1');
    const res = await fetch(`http://127.0.0.1:${address.port}/healthz`);
    expect(res.status).toBe(200);
  });

  it('binds what HTTP_HOST names (a container sets 0.0.0.0 for its probes)', async () => {
    const config = loadConfig(commonOptions('roster'), { HTTP_PORT: '0', HTTP_HOST: '0.0.0.0' });
    app = await runService(ProbeOnlyModule, { service: 'runtime-spec', httpPort: config.HTTP_PORT, httpHost: config.HTTP_HOST });
    expect((app.getHttpServer().address() as AddressInfo).address).toBe('0.0.0.0');
  });
});
