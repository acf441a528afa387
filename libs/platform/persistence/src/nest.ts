// NestJS wiring: a service's TypeORM connection, its database created and migrated
// before the app accepts work.
import { DynamicModule, Inject, Injectable, InjectionToken, Module, OnApplicationBootstrap, OnModuleDestroy, Provider } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Bus } from '@parley/nats';
import { DataSource, MixedList, EntitySchema } from 'typeorm';
import { dataSourceOptions, ensureDatabase, migrateDatabase, warmPool } from './database';
import { OutboxLogger, OutboxRelay } from './outbox';

/** What {@link PersistenceModule.forService} needs. */
export interface ServicePersistence {
  /** Database URL (see serviceDatabaseUrl). */
  url: string;
  entities: MixedList<Function | string | EntitySchema>;
  migrations: MixedList<Function | string>;
  /** Apply pending migrations at start (default true). */
  migrate?: boolean;
  poolSize?: number;
  /** Connections opened at start and kept while idle (default 2). */
  poolMin?: number;
}

@Module({})
export class PersistenceModule {
  /** The service's TypeORM root connection; use TypeOrmModule.forFeature for repositories. */
  static forService(factory: () => ServicePersistence): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: async () => {
            const p = factory();
            if (p.migrate ?? true) await migrateDatabase(p);
            else await ensureDatabase(p.url);
            return dataSourceOptions(p);
          },
          dataSourceFactory: async (options) => {
            const ds = await new DataSource(options!).initialize();
            await warmPool(ds);
            return ds;
          },
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}

/** Injection token of the outbox relay's retry interval (ms). */
export const OUTBOX_INTERVAL = Symbol('OUTBOX_INTERVAL');

/**
 * Start-up and shut-down of a service's outbox: whatever a previous run committed but
 * did not publish is relayed at start, then every `OUTBOX_INTERVAL` (what a NATS outage
 * left behind), and once more at shut-down. Each commit that queues events also asks
 * the relay to flush right away (the store's after-commit hook).
 */
@Injectable()
export class OutboxLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly relay: OutboxRelay,
    @Inject(OUTBOX_INTERVAL) private readonly intervalMs: number,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.relay.tryFlush();
    this.timer = setInterval(() => void this.relay.tryFlush(), this.intervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.relay.tryFlush();
  }
}

/**
 * The providers of a service's transactional outbox (the one publish-after-commit
 * pattern): the relay over the service's DataSource and Bus, logging through `logger`
 * (the service's LOGGER token), and its lifecycle. The service's migration creates the
 * table with `OUTBOX_TABLE_SQL`.
 */
export function outboxProviders(intervalMs: number, logger: InjectionToken): Provider[] {
  return [
    { provide: OutboxRelay, useFactory: (ds: DataSource, bus: Bus, log: OutboxLogger) => new OutboxRelay(ds, bus, log), inject: [DataSource, Bus, logger] },
    { provide: OUTBOX_INTERVAL, useValue: intervalMs },
    OutboxLifecycle,
  ];
}
