// The gateway service: wiring only.
import { DynamicModule, Module } from '@nestjs/common';
import { NatsModule } from '@parley/nats';
import { PersistenceModule } from '@parley/persistence';
import { RuntimeModule } from '@parley/runtime';
import { GatewayConfig } from './config/config';
import { GatewayService } from './gateway.service';
import { gatewayDataSource } from './persistence/data-source';
import { GATEWAY_CONFIG } from './tokens';

@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig, env: Record<string, string | undefined> = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.forRoot('gateway'),
        NatsModule.forRoot(() => ({ url: config.NATS_URL, name: `gateway-${config.INSTANCE_ID || process.pid}`, namespace: config.NATS_NAMESPACE })),
        PersistenceModule.forService(() => gatewayDataSource(env, 10)),
      ],
      providers: [{ provide: GATEWAY_CONFIG, useValue: config }, GatewayService],
    };
  }
}
