// The offline service: wiring only.
import { DynamicModule, Module } from '@nestjs/common';
import { NatsModule } from '@parley/nats';
import { PersistenceModule } from '@parley/persistence';
import { RuntimeModule } from '@parley/runtime';
import { OfflineConfig } from './config/config';
import { offlineDataSource } from './persistence/data-source';

@Module({})
export class AppModule {
  static forRoot(config: OfflineConfig, env: Record<string, string | undefined> = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.forRoot('offline'),
        NatsModule.forRoot(() => ({ url: config.NATS_URL, name: `offline-${config.INSTANCE_ID || process.pid}`, namespace: config.NATS_NAMESPACE })),
        PersistenceModule.forService(() => ({ ...offlineDataSource(env, config.DB_POOL_SIZE) })),
      ],
      providers: [],
    };
  }
}
