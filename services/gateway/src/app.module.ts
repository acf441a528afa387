// The gateway service: wiring only.
import { DynamicModule, Module } from '@nestjs/common';
import { NatsModule } from '@parley/nats';
import { PersistenceModule } from '@parley/persistence';
import { busOptions, RuntimeModule } from '@parley/runtime';
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
        NatsModule.forRoot(() => busOptions(config, 'gateway')),
        PersistenceModule.forService(() => gatewayDataSource(env, 10)),
      ],
      providers: [{ provide: GATEWAY_CONFIG, useValue: config }, GatewayService],
    };
  }
}
