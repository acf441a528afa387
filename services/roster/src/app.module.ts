// The roster service: wiring only.
import { DynamicModule, Module } from '@nestjs/common';
import { NatsModule } from '@parley/nats';
import { PersistenceModule } from '@parley/persistence';
import { RuntimeModule } from '@parley/runtime';
import { RosterConfig } from './config/config';
import { rosterDataSource } from './persistence/data-source';

@Module({})
export class AppModule {
  static forRoot(config: RosterConfig, env: Record<string, string | undefined> = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.forRoot('roster'),
        NatsModule.forRoot(() => ({ url: config.NATS_URL, name: `roster-${config.INSTANCE_ID || process.pid}`, namespace: config.NATS_NAMESPACE })),
        PersistenceModule.forService(() => ({ ...rosterDataSource(env, config.DB_POOL_SIZE) })),
      ],
      providers: [],
    };
  }
}
