// Bootstrap for every Parley service: one Nest HTTP app serving /healthz,
// /readyz and /metrics (Prometheus), pino logs, graceful shutdown on SIGTERM.
import { Controller, Get, HttpCode, Module, Type, DynamicModule, Global, INestApplication, INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { Bus, BusExceptionFilter, BusTransport, BusTransportOptions, ObjectPayloadPipe } from '@parley/nats';
import { Logger as PinoLogger } from 'pino';
import { Gauge } from 'prom-client';
import { LoggerModule, Logger as NestPinoLogger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { BusMetricsInterceptor } from './interceptor';
import { Health } from './health';
import { createLogger } from './logger';
import { IntervalScheduler, SCHEDULER } from './scheduler';
import { DEFAULT_HTTP_HOST } from './service-config';

/** The one injection token of the process logger (pino): `@Inject(LOGGER) log: Logger`. */
export const LOGGER = 'PINO';
export type { Logger } from 'pino';

@Controller()
class HealthController {
  constructor(
    private readonly health: Health,
    private readonly terminus: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
  ) {}
  @Get('healthz')
  @HttpCode(200)
  live(): { status: string } {
    return { status: 'ok' };
  }
  /** Ready only when every registered check passes (NATS connected, the service's database answering, ...): 503 otherwise. */
  @Get('readyz')
  @HealthCheck()
  ready() {
    return this.terminus.check(
      this.health.names().map((name) => async () => {
        const indicator = this.indicators.check(name);
        return (await this.health.passes(name)) ? indicator.up() : indicator.down();
      }),
    );
  }
  @Get('metrics')
  async metrics(): Promise<string> {
    return this.health.metrics.metrics();
  }
}

/** Root module every service imports: logging, health, metrics. */
@Global()
@Module({})
export class RuntimeModule {
  static forRoot(service: string, logger: PinoLogger = createLogger(service)): DynamicModule {
    return {
      module: RuntimeModule,
      imports: [LoggerModule.forRoot({ pinoHttp: { logger, autoLogging: false, quietReqLogger: true } }), TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [Health, { provide: LOGGER, useValue: logger }, { provide: SCHEDULER, useClass: IntervalScheduler }, BusMetricsInterceptor],
      exports: [Health, LOGGER, SCHEDULER, BusMetricsInterceptor],
    };
  }
}

/** Options of {@link runService}. */
export interface RunServiceOptions {
  service: string;
  /** HTTP port for health and metrics (0 = pick one). */
  httpPort: number;
  /** Address the health/metrics listener binds; default loopback (never every interface unless asked). */
  httpHost?: string;
  /** Serve the app's @MessagePattern/@EventPattern controllers on the bus (queue group, streams to provision). */
  bus?: Omit<BusTransportOptions, 'logger'>;
  /** False: no health/metrics listener (a worker process whose primary serves them). */
  listen?: boolean;
  /** The signals that stop the app gracefully (default SIGTERM, SIGINT, SIGHUP). */
  shutdownSignals?: string[];
}

/**
 * The readiness checks every service gets: NATS connected (when it has a Bus) and its
 * database answering (when it has a DataSource).
 */
export function addStandardChecks(app: INestApplication): void {
  const health = app.get(Health);
  const bus = optionalGet(app, Bus as unknown as Type<Bus>);
  if (bus) {
    health.addCheck('nats', () => bus.isConnected());
    // JetStream consumer lag of this process's durables (shared by its replicas), read at scrape time
    new Gauge({
      name: 'parley_jetstream_consumer_pending',
      help: 'Messages of a durable JetStream consumer not yet delivered (pending) or delivered and not yet acknowledged (ack_pending)',
      labelNames: ['stream', 'durable', 'state'],
      registers: [health.metrics],
      async collect() {
        this.reset();
        if (!bus.isConnected()) return;
        const seen = new Set<string>();
        for (const c of bus.runningConsumers()) {
          const key = `${c.stream.name}/${c.durable}`;
          if (seen.has(key)) continue;
          seen.add(key);
          try {
            const b = await bus.consumerBacklog(c.stream, c.durable);
            this.set({ stream: c.stream.name, durable: c.durable, state: 'pending' }, b.pending);
            this.set({ stream: c.stream.name, durable: c.durable, state: 'ack_pending' }, b.ackPending);
          } catch {
            // the consumer is being created or NATS is away: no figure this scrape
          }
        }
      },
    });
  }
  const ds = optionalGet(app, DataSource);
  if (ds) health.addCheck('database', async () => ds.isInitialized && (await ds.query('SELECT 1 AS ok')).length === 1);
}

function optionalGet<T>(app: INestApplication, token: Type<T>): T | undefined {
  try {
    return app.get(token, { strict: false });
  } catch {
    return undefined;
  }
}

/** Connects the bus transport with the shared filter, pipe and interceptor (also used by the test harness). */
export function connectBus(app: INestApplication, o: Omit<BusTransportOptions, 'logger'>): void {
  const logger = app.get<PinoLogger>(LOGGER);
  // Deferred, so the enhancers are registered before the handlers are wrapped (as connectMicroservice would do at once).
  const ms = app.connectMicroservice({ strategy: new BusTransport(app.get(Bus), { ...o, logger }) }, { deferInitialization: true }) as INestMicroservice & {
    registerListeners(): void;
    setIsInitialized(v: boolean): void;
    setIsInitHookCalled(v: boolean): void;
  };
  ms.useGlobalFilters(new BusExceptionFilter());
  ms.useGlobalPipes(new ObjectPayloadPipe());
  ms.useGlobalInterceptors(app.get(BusMetricsInterceptor));
  ms.registerListeners();
  ms.setIsInitialized(true);
  ms.setIsInitHookCalled(true); // the app runs the lifecycle hooks once, for both
}

/**
 * Creates and starts a service's Nest app: readiness checks, and its controllers on the
 * bus when `bus` is given. No HTTP listener (runService adds it; test harnesses need none).
 */
export async function startServiceApp(module: Type<unknown> | DynamicModule, o: { bus?: RunServiceOptions['bus']; logs?: boolean } = {}): Promise<INestApplication> {
  const app = await NestFactory.create(module, o.logs === false ? { logger: false } : { bufferLogs: true });
  if (o.logs !== false) app.useLogger(app.get(NestPinoLogger));
  addStandardChecks(app);
  if (o.bus) connectBus(app, o.bus);
  await app.init();
  await app.startAllMicroservices();
  return app;
}

/** Starts a service's Nest app, listening for health/metrics (unless `listen: false`), and stops it cleanly on SIGTERM/SIGINT/SIGHUP. */
export async function runService(module: Type<unknown> | DynamicModule, o: RunServiceOptions): Promise<INestApplication> {
  const app = await startServiceApp(module, { bus: o.bus });
  // Only the signals that mean "stop": Nest's default list also takes SIGUSR2 (the usual
  // --heapsnapshot-signal) and SIGQUIT, SIGABRT, SIGTRAP… which must not start a shutdown.
  app.enableShutdownHooks(o.shutdownSignals ?? ['SIGTERM', 'SIGINT', 'SIGHUP']);
  if (o.listen !== false) await app.listen(o.httpPort, o.httpHost ?? DEFAULT_HTTP_HOST);
  return app;
}
