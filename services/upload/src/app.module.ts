// The upload service: wiring only.
import { DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ERASURE_CONFIRMATIONS, GATEWAY_EVENTS, QueueGroups, UPLOAD_EVENTS } from '@parley/contracts';
import { NatsModule } from '@parley/nats';
import { OutboxRelay, outboxProviders, PersistenceModule } from '@parley/persistence';
import { busOptions, createLogger, Health, LOGGER, RunServiceOptions, RuntimeModule } from '@parley/runtime';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { UploadConfig } from './config/config';
import { UploadMetrics } from './domain/metrics';
import { Slots } from './domain/slots';
import { Sweeper } from './domain/sweeper';
import { AccountDeletedHandler, FilesHandler, SlotHandler, StatsHandler, SweepHandler } from './handlers/handlers';
import { PublicUrl } from './http/public-url';
import { UploadHttp } from './http/upload-http';
import { uploadDataSource } from './persistence/data-source';
import { FILE_STORE, FileStore } from './storage/file-store';
import { FsFileStore } from './storage/fs-file-store';
import { S3FileStore } from './storage/s3-file-store';
import { UploadStore } from './store/upload-store';
import { UPLOAD_CONFIG, UPLOAD_SECRET } from './tokens';

/** How the upload service sits on the bus: its queue group and the streams it publishes to or consumes. */
export const UPLOAD_BUS: NonNullable<RunServiceOptions['bus']> = { queue: QueueGroups.upload, streams: [UPLOAD_EVENTS, GATEWAY_EVENTS, ERASURE_CONFIRMATIONS] };

/** The file store UPLOAD_STORAGE names. */
export function fileStoreFor(config: UploadConfig): FileStore {
  if (config.UPLOAD_STORAGE === 's3')
    return new S3FileStore({
      endpoint: config.UPLOAD_S3_ENDPOINT || undefined,
      region: config.UPLOAD_S3_REGION,
      bucket: config.UPLOAD_S3_BUCKET,
      accessKeyId: config.UPLOAD_S3_ACCESS_KEY_ID || undefined,
      secretAccessKey: config.UPLOAD_S3_SECRET_ACCESS_KEY || undefined,
      forcePathStyle: config.UPLOAD_S3_FORCE_PATH_STYLE,
    });
  return new FsFileStore(resolve(config.UPLOAD_DIR));
}

/** Readiness includes the file store; the S3 client is closed at shutdown. */
@Injectable()
class FileStoreLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    @Inject(FILE_STORE) private readonly files: FileStore,
    private readonly health: Health,
  ) {}
  onApplicationBootstrap(): void {
    this.health.addCheck('storage', () => this.files.ready());
  }
  onModuleDestroy(): void {
    if (this.files instanceof S3FileStore) this.files.close();
  }
}

@Module({})
export class AppModule {
  static forRoot(config: UploadConfig, env: Record<string, string | undefined> = process.env): DynamicModule {
    const log = createLogger('upload', env);
    if (!config.UPLOAD_SECRET) log.warn('UPLOAD_SECRET is not set: a random one signs this process\'s slots (set one shared secret on every replica)');
    if (!config.UPLOAD_PUBLIC_URL) log.warn('UPLOAD_PUBLIC_URL is not set: slot URLs name the listener\'s own address (local development only)');
    return {
      module: AppModule,
      imports: [
        RuntimeModule.forRoot('upload'),
        NatsModule.forRoot(() => busOptions(config, 'upload', log)),
        PersistenceModule.forService(() => ({ ...uploadDataSource(env, config.DB_POOL_SIZE) })),
      ],
      providers: [
        { provide: UPLOAD_CONFIG, useValue: config },
        { provide: UPLOAD_SECRET, useValue: config.UPLOAD_SECRET || randomBytes(32).toString('hex') },
        { provide: FILE_STORE, useFactory: () => fileStoreFor(config) },
        ...outboxProviders(config.UPLOAD_OUTBOX_INTERVAL, LOGGER),
        { provide: UploadStore, useFactory: (ds: DataSource, outbox: OutboxRelay) => new UploadStore(ds, () => outbox.tryFlush()), inject: [DataSource, OutboxRelay] },
        UploadMetrics,
        PublicUrl,
        Slots,
        Sweeper,
        UploadHttp,
        FileStoreLifecycle,
      ],
      controllers: [SlotHandler, FilesHandler, SweepHandler, StatsHandler, AccountDeletedHandler],
    };
  }
}

