// Nest lifecycle around the gateway core: start after the bus and the database are
// up, report readiness, export metrics, stop cleanly.
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Bus } from '@parley/nats';
import { OutboxRelay } from '@parley/persistence';
import { Health } from '@parley/runtime';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram } from 'prom-client';
import { DataSource } from 'typeorm';
import { GATEWAY_CONFIG } from './tokens';
import type { GatewayConfig } from './config/config';
import { GatewayCore } from './gateway-core';
import { GATEWAY_MODULES } from './gateway-modules';
import { TypeOrmAccountsStore } from './auth/accounts.store';
import { readFileSync, statSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { loadTls, tlsFromPem } from './transport/certs';
import { STREAM_MANAGEMENT } from './modules/xep-0198-sm/api';
import { Listeners, openListeners } from './transport/listeners';

@Injectable()
export class GatewayService implements OnApplicationBootstrap, OnApplicationShutdown {
  core?: GatewayCore;
  listeners?: Listeners;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(Bus) private readonly bus: Bus,
    @InjectDataSource() private readonly ds: DataSource,
    @Inject('PINO') private readonly log: Logger,
    private readonly health: Health,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const tls = await loadTls({ domain: this.config.XMPP_DOMAIN, certFile: this.config.TLS_CERT_FILE, keyFile: this.config.TLS_KEY_FILE, dataDir: this.config.DATA_DIR });
    const core = new GatewayCore(this.config, { bus: this.bus, store: new TypeOrmAccountsStore(this.ds), outbox: new OutboxRelay(this.ds, this.bus, this.log), tls, log: this.log, modules: GATEWAY_MODULES });
    await core.start();
    this.core = core;
    this.listeners = await openListeners(core);
    this.watchCertificate(core);
    // Readiness: runService's standard checks (NATS connected, database answering), and
    // not shutting down (a draining gateway takes no new clients).
    this.health.addCheck('accepting', () => !core.draining);
    this.registerMetrics(core);
  }

  private certWatch?: NodeJS.Timeout;

  /**
   * Renewed certificate files (cert-manager swaps the Secret's files in place) are picked
   * up without a restart: checked every TLS_RELOAD_CHECK; a pair that does not load (a
   * half-written renewal, a key that does not match) is ignored until the next check.
   */
  private watchCertificate(core: GatewayCore): void {
    const { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, TLS_RELOAD_CHECK: every } = this.config;
    if (!certFile || !keyFile || every <= 0) return;
    const stamp = () => {
      try {
        return `${statSync(certFile).mtimeMs}:${statSync(keyFile).mtimeMs}`;
      } catch {
        return undefined;
      }
    };
    let seen = stamp();
    this.certWatch = setInterval(() => {
      const now = stamp();
      if (!now || now === seen) return;
      try {
        const t = tlsFromPem(readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'));
        core.replaceTls(t);
        seen = now;
        this.log.info({ notAfter: new X509Certificate(t.cert).validTo }, 'renewed TLS certificate in use for new connections');
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'renewed TLS certificate files could not be loaded; still using the previous ones');
      }
    }, every);
    this.certWatch.unref();
  }

  private registerMetrics(core: GatewayCore): void {
    const reg = this.health.metrics;
    const m = core.metrics;
    new Gauge({ name: 'parley_gateway_connections', help: 'Open client connections', registers: [reg], collect() { this.set(m.connections); } });
    new Gauge({ name: 'parley_gateway_sessions', help: 'Bound sessions on this instance', registers: [reg], collect() { this.set(core.directory.localSize); } });
    const sm = core.host.api(STREAM_MANAGEMENT);
    if (sm) {
      new Gauge({ name: 'parley_gateway_sm_hibernating', help: 'Stream-management sessions waiting for resumption (bounded in time by SM_RESUME_TIMEOUT)', registers: [reg], collect() { this.set(sm.stats().hibernating); } });
      new Gauge({ name: 'parley_gateway_sm_unacked', help: 'Stanzas held unacknowledged by stream-management sessions (each bounded by SM_MAX_UNACKED)', registers: [reg], collect() { this.set(sm.stats().unacked); } });
    }
    const counters: Array<[string, string, () => number]> = [
      ['parley_gateway_logins_total', 'Sessions bound', () => m.logins],
      ['parley_gateway_auth_failures_total', 'Failed SASL attempts', () => m.authFailures],
      ['parley_gateway_stanzas_in_total', 'Stanzas received from clients', () => m.stanzasIn],
      ['parley_gateway_stream_errors_total', 'Streams ended with a stream error', () => m.streamErrors],
      ['parley_gateway_bytes_in_total', 'Bytes read from clients', () => m.bytesIn],
      ['parley_gateway_bytes_out_total', 'Characters written to clients', () => m.bytesOut],
      ['parley_gateway_read_pauses_total', 'Times reading a connection stopped because C2S_MAX_PENDING of its stanzas were waiting (backpressure)', () => m.readPauses],
      ['parley_gateway_undelivered_total', 'Stanzas for sessions on another gateway handed back (session gone, gateway died or silent, NATS away) and routed again', () => core.cluster.undeliveredCount ?? 0],
      ['parley_gateway_directory_resyncs_total', "Times the directory disagreed with a peer gateway's heartbeat (count and digest of its sessions) and read that peer's sessions again (anti-entropy)", () => core.cluster.resyncs ?? 0],
      ['parley_gateway_bus_dropped_total', 'Core-NATS publishes dropped while NATS was away and the buffer bound was reached', () => this.bus.droppedWhileAway],
    ];
    new Counter({
      name: 'parley_gateway_stanzas_total',
      help: 'Stanzas received from clients, by kind',
      labelNames: ['kind'],
      registers: [reg],
      collect() {
        for (const kind of ['message', 'presence', 'iq'] as const) {
          const v = m.stanzasByKind[kind];
          this.inc({ kind }, v - (seen[kind] ?? 0));
          seen[kind] = v;
        }
      },
    });
    const seen: Record<string, number> = {};
    const federation = core.federation;
    if (federation) {
      const counted = new Map<string, number>();
      new Counter({
        name: 'parley_gateway_s2s_auth_total',
        help: 'Server-to-server streams by how the remote domain was authenticated (method EXTERNAL, dialback, dialback-certificate) or that its certificate was refused (refused), by direction (inbound, outbound)',
        labelNames: ['direction', 'method'],
        registers: [reg],
        collect() {
          for (const [k, v] of federation.authCounts) {
            const [direction, method] = k.split(':');
            this.inc({ direction, method }, v - (counted.get(k) ?? 0));
            counted.set(k, v);
          }
        },
      });
    }
    const route = new Histogram({
      name: 'parley_gateway_route_seconds',
      help: "Time from a client's stanza being read to its routing being done (delivered, handed to another gateway, or stored offline)",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [reg],
    });
    m.observeRoute = (s) => route.observe(s);
    for (const [name, help, read] of counters) {
      let last = 0;
      new Counter({ name, help, registers: [reg], collect() { const v = read(); this.inc(v - last); last = v; } });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.certWatch) clearInterval(this.certWatch);
    // Tell clients first (system-shutdown), then stop accepting and wait for sockets to go.
    const closing = this.listeners?.close();
    await this.core?.stop();
    await closing;
  }
}
