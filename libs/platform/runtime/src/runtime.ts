// Bootstrap for every Parley service: one Nest HTTP app serving /healthz,
// /readyz and /metrics (Prometheus), pino logs, graceful shutdown on SIGTERM.
import { Controller, Get, HttpCode, HttpException, Injectable, Module, Type, DynamicModule, Global, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'pino';
import { LoggerModule, Logger as NestPinoLogger } from 'nestjs-pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createLogger } from './logger';

/** A check that must pass for the service to receive traffic. */
export type ReadinessCheck = () => Promise<boolean> | boolean;

/** Per-process registry of readiness checks and metrics. */
@Injectable()
export class Health {
  private readonly checks = new Map<string, ReadinessCheck>();
  readonly metrics = new Registry();
  constructor() {
    collectDefaultMetrics({ register: this.metrics });
  }
  /** Adds a named readiness check. */
  addCheck(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }
  /** Runs every check; returns the failing names. */
  async failing(): Promise<string[]> {
    const bad: string[] = [];
    for (const [name, check] of this.checks) {
      try {
        if (!(await check())) bad.push(name);
      } catch {
        bad.push(name);
      }
    }
    return bad;
  }
}

@Controller()
class HealthController {
  constructor(private readonly health: Health) {}
  @Get('healthz')
  @HttpCode(200)
  live(): { status: string } {
    return { status: 'ok' };
  }
  @Get('readyz')
  async ready(): Promise<{ status: string }> {
    const failing = await this.health.failing();
    if (failing.length) throw new HttpException({ status: 'unready', failing }, 503);
    return { status: 'ready' };
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
      imports: [LoggerModule.forRoot({ pinoHttp: { logger, autoLogging: false, quietReqLogger: true } })],
      controllers: [HealthController],
      providers: [Health, { provide: 'PINO', useValue: logger }],
      exports: [Health, 'PINO'],
    };
  }
}

/** Options of {@link runService}. */
export interface RunServiceOptions {
  service: string;
  /** HTTP port for health and metrics (0 = pick one). */
  httpPort: number;
  httpHost?: string;
}

/** Starts a service's Nest app, listening for health/metrics, and stops it cleanly on SIGTERM/SIGINT. */
export async function runService(module: Type<unknown> | DynamicModule, o: RunServiceOptions): Promise<INestApplication> {
  const app = await NestFactory.create(module, { bufferLogs: true });
  app.useLogger(app.get(NestPinoLogger));
  app.enableShutdownHooks();
  await app.listen(o.httpPort, o.httpHost ?? '0.0.0.0');
  return app;
}
