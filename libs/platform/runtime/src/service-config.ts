// Options every service shares. Each service spreads these into its own spec.
import { opt } from '@parley/config';
import type { BusLogger, BusOptions } from '@parley/nats';

/** Health/metrics HTTP ports by service (defaults; HTTP_PORT overrides). */
export const DEFAULT_HTTP_PORTS = {
  gateway: 8080,
  roster: 8081,
  offline: 8082,
  archive: 8083,
  upload: 8084,
  profile: 8085,
  janitor: 8086,
} as const;

/**
 * Where /healthz, /readyz and /metrics listen unless told otherwise: loopback, so that
 * they never show on a public interface by accident. In a container the orchestrator's
 * probes need the pod's address: set HTTP_HOST=0.0.0.0 there and keep HTTP_PORT out of
 * every Service and published port (README, "Secure it").
 */
export const DEFAULT_HTTP_HOST = '127.0.0.1';

/** The common options of a service. */
export function commonOptions(service: keyof typeof DEFAULT_HTTP_PORTS) {
  return {
    XMPP_DOMAIN: opt.str({ doc: 'The XMPP domain this deployment serves (e.g. `example.org`).', default: 'localhost' }),
    NATS_URL: opt.url({ doc: 'NATS server (JetStream enabled).', default: 'nats://127.0.0.1:4222', protocols: ['nats', 'tls', 'ws', 'wss'] }),
    NATS_NAMESPACE: opt.str({
      doc: 'Prefix for every NATS subject and stream, to share one NATS between deployments. Empty for none.',
      default: '',
      pattern: /^[A-Za-z0-9_-]*$/,
    }),
    NATS_USER: opt.str({
      doc: 'NATS user of this process (its bus role: `gateway`, `roster`, ...); empty for a NATS without authentication. See "Bus credentials".',
      default: '',
      pattern: /^[A-Za-z0-9_-]*$/,
    }),
    NATS_PASSWORD: opt.str({ doc: 'Password of `NATS_USER`.', default: '', secret: true }),
    NATS_STREAM_REPLICAS: opt.int({
      doc: 'Replicas of each JetStream stream and KV bucket (1 on a single NATS server; 3 on a three-node cluster, so that losing one node loses nothing). A stream\'s owner updates an existing stream to it at start.',
      default: 1,
      min: 1,
      max: 5,
    }),
    NATS_TLS_CA_FILE: opt.str({ doc: 'CA certificate (PEM) to verify the NATS server with; set it (or use a `tls://` URL) for TLS to NATS.', default: '' }),
    NATS_TLS_CERT_FILE: opt.str({ doc: 'Client certificate (PEM) for mutual TLS to NATS.', default: '' }),
    NATS_TLS_KEY_FILE: opt.str({ doc: 'Key of `NATS_TLS_CERT_FILE`.', default: '', secret: true }),
    DATABASE_URL: opt.url({
      doc: 'PostgreSQL server; each service uses its own database `parley_<service>` on it unless `<SERVICE>_DATABASE_URL` is set.',
      default: 'postgres://postgres@127.0.0.1:5432/postgres',
      protocols: ['postgres', 'postgresql'],
    }),
    HTTP_PORT: opt.int({ doc: 'Port for /healthz, /readyz and /metrics.', default: DEFAULT_HTTP_PORTS[service], min: 0, max: 65535 }),
    HTTP_HOST: opt.str({
      doc: 'Address the /healthz, /readyz and /metrics listener binds: loopback by default, never the public interface. In Kubernetes set `0.0.0.0` (the probes reach the pod IP) and keep HTTP_PORT out of the Service; with Docker publish it on 127.0.0.1 only.',
      default: DEFAULT_HTTP_HOST,
    }),
    INSTANCE_ID: opt.str({ doc: 'Unique name of this process (defaults to a random id).', default: '', pattern: /^[A-Za-z0-9_-]*$/ }),
  };
}

/** The bus connection of a process, from its common options. */
export function busOptions(
  config: {
    NATS_URL: string;
    NATS_NAMESPACE: string;
    NATS_USER: string;
    NATS_PASSWORD: string;
    NATS_STREAM_REPLICAS?: number;
    NATS_TLS_CA_FILE: string;
    NATS_TLS_CERT_FILE: string;
    NATS_TLS_KEY_FILE: string;
    INSTANCE_ID: string;
  },
  name: string,
  logger?: BusLogger,
): BusOptions {
  return {
    url: config.NATS_URL,
    name: `${name}-${config.INSTANCE_ID || process.pid}`,
    namespace: config.NATS_NAMESPACE,
    logger,
    user: config.NATS_USER || undefined,
    password: config.NATS_PASSWORD || undefined,
    streamReplicas: config.NATS_STREAM_REPLICAS,
    tls: { caFile: config.NATS_TLS_CA_FILE || undefined, certFile: config.NATS_TLS_CERT_FILE || undefined, keyFile: config.NATS_TLS_KEY_FILE || undefined },
  };
}
