// NestJS wiring: one Bus per process, closed on shutdown.
import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Bus, BusOptions } from './bus';

/** Injection token for the connection options. */
export const BUS_OPTIONS = Symbol('BUS_OPTIONS');

/** What {@link NatsModule.forRoot} needs. */
export type NatsModuleOptions = BusOptions;

@Injectable()
class BusCloser implements OnApplicationShutdown {
  constructor(@Inject(Bus) private readonly bus: Bus) {}
  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }
}

@Global()
@Module({})
export class NatsModule {
  /** Provides a connected {@link Bus}. */
  static forRoot(factory: () => NatsModuleOptions | Promise<NatsModuleOptions>): DynamicModule {
    return {
      module: NatsModule,
      providers: [
        { provide: BUS_OPTIONS, useFactory: factory },
        { provide: Bus, useFactory: (o: NatsModuleOptions) => Bus.connect(o), inject: [BUS_OPTIONS] },
        BusCloser,
      ],
      exports: [Bus],
    };
  }
}
