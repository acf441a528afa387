// The archive service: wiring only.
import { DynamicModule, Module } from '@nestjs/common';
import { NatsModule } from '@parley/nats';
import { PersistenceModule } from '@parley/persistence';
import { RuntimeModule } from '@parley/runtime';
import { ArchiveConfig } from './config/config';
import { archiveDataSource } from './persistence/data-source';

@Module({})
export class AppModule {
  static forRoot(config: ArchiveConfig, env: Record<string, string | undefined> = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.forRoot('archive'),
        NatsModule.forRoot(() => ({ url: config.NATS_URL, name: `archive-${config.INSTANCE_ID || process.pid}`, namespace: config.NATS_NAMESPACE })),
        PersistenceModule.forService(() => ({ ...archiveDataSource(env, config.DB_POOL_SIZE) })),
      ],
      providers: [],
    };
  }
}
