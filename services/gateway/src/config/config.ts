// Configuration of the gateway: typed, bounded, documented (README lists it).
import { ConfigOf, ConfigSpec, describeConfig, loadConfig, opt } from '@parley/config';
import { commonOptions } from '@parley/runtime';
import { GATEWAY_MODULES } from '../gateway-modules';
import { moduleOptions } from '../host/host';
import { parseComponents, readComponentsFile } from '../components/component-config';
import { trustedAuthorities } from '../s2s/identity';
import { parseStaticRoutes } from '../s2s/resolve';
import type { GatewayModule } from '../host/module';

/** The options of the gateway's core (transport, stream, routing); modules declare their own. */
export const gatewayCoreOptions = {
  ...commonOptions('gateway'),
  C2S_HOST: opt.str({ doc: 'Address the XMPP listeners bind (`0.0.0.0` in containers).', default: '127.0.0.1' }),
  C2S_PORT: opt.int({ doc: 'Client port with STARTTLS (RFC 6120); 0 picks a free port.', default: 5222, min: 0, max: 65535 }),
  C2S_DIRECT_TLS_PORT: opt.int({ doc: 'Client port with direct TLS (XEP-0368); -1 disables it.', default: 5223, min: -1, max: 65535 }),
  WS_PORT: opt.int({ doc: 'XMPP over WebSocket (RFC 7395) port, TLS with the gateway certificate; -1 disables it.', default: 5281, min: -1, max: 65535 }),
  WS_PATH: opt.str({ doc: 'HTTP path of the WebSocket endpoint.', default: '/xmpp-websocket', pattern: /^\/[\w\-./]*$/ }),
  WS_ALLOWED_ORIGINS: opt.list({
    doc: 'Browser origins allowed to open an XMPP WebSocket (comma-separated; `*` any, `https://*.example.org` a subdomain wildcard). Requests without an Origin header (native clients) are always served. Default `*`: XMPP authenticates inside the stream (SASL), so no ambient credential crosses origins; restrict it to keep other sites\' pages off your server.',
    default: '*',
  }),
  WS_TRUSTED_PROXIES: opt.list({ doc: 'Proxy addresses or CIDR ranges (e.g. a Kubernetes pod network `10.0.0.0/8`) whose X-Forwarded-For names the WebSocket client (comma-separated); from others the header is ignored.', default: '' }),
  WS_BEHIND_TLS_PROXY: opt.bool({ doc: 'Serve plain ws:// because a TLS-terminating proxy is in front (its connections then count as encrypted).', default: false }),
  BOSH_ENABLED: opt.bool({
    doc: 'Serve BOSH (XEP-0124, XEP-0206) at BOSH_PATH on the WebSocket listener (WS_PORT). A BOSH session lives on the gateway instance that created it (named in its sid); a request reaching another gateway is forwarded to it over NATS, so the balancer need not be sticky (stickiness saves the extra hop).',
    default: true,
  }),
  BOSH_PATH: opt.str({ doc: 'HTTP path of the BOSH endpoint.', default: '/http-bind', pattern: /^\/[\w\-./]*$/ }),
  BOSH_MAX_WAIT: opt.duration({ doc: 'Longest a BOSH request is held waiting for data (a client asking more gets this).', default: '60s', min: '1s', max: '5m' }),
  BOSH_MAX_HOLD: opt.int({ doc: 'Most requests one BOSH session may have held at once (a client asking more gets this).', default: 1, min: 1, max: 5 }),
  BOSH_INACTIVITY: opt.duration({ doc: 'A BOSH session with no request waiting for this long ends (as a dropped TCP connection does).', default: '60s', min: '5s', max: '10m' }),
  BOSH_POLLING: opt.duration({ doc: 'Shortest interval between empty requests of a polling BOSH session (hold 0); faster ones end it with `policy-violation`.', default: '2s', min: '0s', max: '1m' }),
  BOSH_MAX_PAUSE: opt.duration({ doc: 'Longest pause a BOSH client may ask for; a longer one ends the session with `policy-violation`.', default: '2m', min: '0s', max: '1h' }),
  BOSH_MAX_BODY: opt.bytes({ doc: 'Largest BOSH request body; a larger one ends its session with `policy-violation` (each stanza inside is also held to MAX_STANZA_SIZE). At most 512KiB, so that a forwarded request fits a NATS message.', default: '320KiB', min: 4096, max: 512 * 1024 }),
  HTTP_PUBLIC_URL: opt.optionalStr({
    doc: 'Public `https://host[:port]` of the WebSocket listener as clients reach it (through the balancer), for XEP-0156 discovery (/.well-known/host-meta) and the web client. Unset: taken from each request\'s Host header.',
  }),
  WEB_CLIENT: opt.bool({
    doc: 'Serve the Converse.js web client at /chat on the WebSocket listener, configured for this server (WebSocket, falling back to BOSH). On by default for development; the production manifests (k8s) turn it off.',
    default: true,
  }),
  C2S_PROXY_PROTOCOL: opt.bool({
    doc: 'Every TCP connection (5222 and 5223) starts with a PROXY protocol header (v1 or v2) from the load balancer, giving the client\'s address to the in-memory throttles; connections without one are dropped.',
    default: false,
  }),
  C2S_PROXY_TRUSTED: opt.list({ doc: 'Balancer addresses allowed to send PROXY headers (comma-separated); empty: any peer (only the balancer can reach the gateway).', default: '' }),
  TLS_REQUIRED: opt.bool({ doc: 'Require STARTTLS before authentication (PLAIN is never offered without TLS).', default: true }),
  TLS_CERT_FILE: opt.optionalStr({ doc: 'PEM certificate chain. Unset: a self-signed certificate for XMPP_DOMAIN is generated once and kept in DATA_DIR.' }),
  TLS_KEY_FILE: opt.optionalStr({ doc: 'PEM private key matching TLS_CERT_FILE.' }),
  TLS_RELOAD_CHECK: opt.duration({
    doc: 'How often TLS_CERT_FILE and TLS_KEY_FILE are checked for a renewed certificate (cert-manager, certbot); a new pair is used for every handshake from then on, open connections keep theirs. `0s`: never (restart to renew).',
    default: '1m',
    min: '0s',
    max: '1d',
  }),
  DATA_DIR: opt.str({ doc: 'Where the gateway keeps generated files (the dev certificate).', default: '.parley' }),
  SCRAM_ITERATIONS: opt.int({ doc: 'PBKDF2 iterations for new SCRAM credentials.', default: 4096, min: 4096, max: 1_000_000 }),
  SCRAM_SHA512: opt.str({
    doc: '`auto`: offer SCRAM-SHA-512(-PLUS) once every account has SHA-512 keys (accounts from before it get them at their next password change or PLAIN login; checked at start and every SCRAM_SHA512_CHECK), so that no client picks a mechanism its account cannot pass; `off`: never offer it. Keys are derived for new passwords either way.',
    default: 'auto',
    oneOf: ['auto', 'off'],
  }),
  SCRAM_SHA512_CHECK: opt.duration({ doc: 'How often SCRAM_SHA512=auto checks whether every account has SHA-512 keys.', default: '10m', min: '1s' }),
  SASL_CHANNEL_BINDING: opt.bool({
    doc: 'Offer SCRAM-*-PLUS with channel binding (tls-exporter, tls-unique, tls-server-end-point; XEP-0440). false: for users whose clients bind wrongly; -PLUS is then not offered and a client\'s "y" flag is accepted, since no downgrade is possible.',
    default: true,
  }),
  SCRAM_FAKE_SALT_SECRET: opt.str({
    doc: 'Secret (at least 32 characters) from which unknown usernames get stable fake SCRAM salts, so that a login attempt cannot tell which accounts exist. Set the same value on every gateway; empty: a random secret per process (gateways then answer differently for the same unknown user).',
    default: '',
    pattern: /^(.{32,})?$/,
  }),
  AUTH_FAILURES_PER_ADDRESS: opt.int({
    doc: 'Failed logins one source address may make (any accounts) per AUTH_FAILURE_WINDOW before its failure answers are held back, doubling from 250 ms up to AUTH_TARPIT_MAX. Nothing is refused for it.',
    default: 10,
    min: 1,
    max: 100_000,
  }),
  AUTH_FAILURES_PER_PAIR: opt.int({
    doc: 'Failed logins one source address may make against one account per AUTH_FAILURE_WINDOW before its failure answers are held back the same way.',
    default: 3,
    min: 1,
    max: 100_000,
  }),
  AUTH_FAILURES_PER_ACCOUNT: opt.int({
    doc: 'Failed logins against one account (every address) per AUTH_FAILURE_WINDOW after which addresses that failed against it are refused; an address that did not is still heard, so the owner is never locked out.',
    default: 1000,
    min: 1,
    max: 1_000_000,
  }),
  AUTH_FAILURE_WINDOW: opt.duration({ doc: 'Window for the failed-login counts (kept in memory only).', default: '5m', min: '1s' }),
  AUTH_TARPIT_MAX: opt.duration({ doc: 'Longest a failed login answer is held back.', default: '30s', min: '0s', max: '10m' }),
  MAX_STANZA_SIZE: opt.bytes({ doc: 'Largest stanza accepted; larger ones end the stream with <policy-violation/>.', default: '256KiB', min: 1024, max: 16 * 1024 * 1024 }),
  C2S_RATE: opt.bytes({ doc: 'Sustained read rate per connection, bytes per second (reads pause above it).', default: '64KiB', min: 1024 }),
  C2S_BURST: opt.bytes({ doc: 'Read burst allowance per connection, bytes.', default: '512KiB', min: 1024 }),
  C2S_MAX_PENDING: opt.int({
    doc: 'Stanzas of one connection parsed and waiting to be handled; at this many the gateway stops reading that connection until half are done (TCP backpressure: nothing is dropped). Counted in `parley_gateway_read_pauses_total`.',
    default: 256,
    min: 2,
    max: 100_000,
  }),
  MAX_OUTBOUND_BUFFER: opt.bytes({ doc: 'Unsent bytes queued for one slow client before it is disconnected.', default: '4MiB', min: 65536 }),
  AUTH_TIMEOUT: opt.duration({ doc: 'Time a new connection has to authenticate and bind.', default: '60s', min: '1s' }),
  IDLE_TIMEOUT: opt.duration({ doc: 'A connection that sends nothing (not even a whitespace keepalive) for this long is closed.', default: '10m', min: '1s' }),
  KEEPALIVE_INTERVAL: opt.duration({ doc: 'Interval of server whitespace keepalives.', default: '60s', min: '1s' }),
  MAX_CONNECTIONS: opt.int({ doc: 'Client connections this gateway accepts at once.', default: 100_000, min: 1 }),
  C2S_MAX_CONNECTIONS_PER_ADDRESS: opt.int({
    doc: 'Client connections one source address may hold at once on this gateway (TCP and WebSocket together; an IPv6 client counts per /64; the real client address when C2S_PROXY_PROTOCOL or WS_TRUSTED_PROXIES gives one). One more is answered with the `policy-violation` stream error and closed.',
    default: 50,
    min: 1,
    max: 1_000_000,
  }),
  C2S_CONNECTION_ALLOWLIST: opt.list({ doc: 'Source addresses exempt from C2S_MAX_CONNECTIONS_PER_ADDRESS (comma-separated, exact).', default: '127.0.0.1,::1' }),
  SERVER_NAME: opt.str({ doc: 'Software name answered to XEP-0092 version queries and shown as the server identity (XEP-0030).', default: 'Parley' }),
  ROUTE_HEARTBEAT: opt.duration({ doc: 'Interval of heartbeats between gateway instances.', default: '2s', min: '100ms' }),
  ROUTE_PEER_TIMEOUT: opt.duration({
    doc: 'A peer gateway silent this long is considered gone and its sessions dropped; also how long a batch of stanzas for another gateway waits for its receipt before it is routed again (a peer that died is noticed at once: NATS reports that nobody listens).',
    default: '10s',
    min: '500ms',
  }),
  GATEWAY_WORKERS: opt.int({
    doc: 'Gateway processes on this host or pod (node:cluster). Above 1, a primary process shares the listeners among that many workers (each a whole gateway instance, `<INSTANCE_ID>-w<n>`, found by the others over NATS like separate gateways), serves /healthz, /readyz and /metrics for all of them (metrics summed) and restarts a worker that dies. Use about one per core the pod may use. Per-address limits (auth failures, registrations, connections) are counted by each worker.',
    default: 1,
    min: 1,
    max: 64,
  }),
  SESSION_EVENTS_WINDOW: opt.duration({
    doc: 'Session opened/closed events (the janitor keeps last-used times and open sessions from them) wait this long to go out together as one JetStream event, so that a login storm costs a stream write per window, not per login. 0 publishes each at once.',
    default: '250ms',
    min: '0s',
    max: '10s',
  }),
  SHUTDOWN_DRAIN_TIMEOUT: opt.duration({
    doc: "On SIGTERM the gateway stops accepting, ends every session (connected or waiting for XEP-0198 resumption) and waits up to this long for what they never acknowledged to be routed again (the user's other resources or offline storage) before it exits. Keep it below the orchestrator's termination grace period.",
    default: '15s',
    min: '0s',
    max: '10m',
  }),
  SHUTDOWN_SEE_OTHER_HOST: opt.str({
    doc: 'On shutdown, clients are told `<see-other-host/>` with this `host[:port]` (RFC 6120 §4.9.3.19) instead of `<system-shutdown/>`. Empty: `system-shutdown` (behind a load balancer clients simply reconnect to the same name).',
    default: '',
  }),
  USERNAME_TOMBSTONE: opt.duration({
    doc: 'How long a deleted username is kept (the name and the deletion time only) so that nobody can register it and inherit the old contacts\' trust; registering it meanwhile is refused with `conflict`. Expired ones are removed by `gateway.cmd.sweep`, which the janitor drives. `0s` keeps none.',
    default: '30d',
    min: '0s',
    max: '3650d',
  }),
  COMPONENT_HOST: opt.str({
    doc: 'Address the external component listener (XEP-0114) binds. Keep it on loopback or a private network: a component proves itself with a shared secret only, and the stream is not encrypted.',
    default: '127.0.0.1',
  }),
  COMPONENT_PORT: opt.int({
    doc: 'External component port (XEP-0114, `jabber:component:accept`), opened only when COMPONENTS or COMPONENTS_FILE names a component; 0 picks a free port, -1 disables it.',
    default: 5347,
    min: -1,
    max: 65535,
  }),
  COMPONENTS: opt.list({
    doc: 'External components admitted (XEP-0114): comma-separated `name:secret`, the name `x` standing for `x.<XMPP_DOMAIN>` (or written in full), the secret at least 16 characters without spaces or commas. Prefer COMPONENTS_FILE, which keeps secrets out of the environment.',
    default: '',
    secret: true,
  }),
  COMPONENTS_FILE: opt.optionalStr({ doc: 'File with one `name:secret` per line (blank lines and `#` comments ignored), read at start and merged with COMPONENTS.' }),
  COMPONENT_RATE: opt.bytes({ doc: 'Sustained read rate per component connection, bytes per second (reads pause above it; the burst allowance is four times as much).', default: '1MiB', min: 1024 }),
  S2S_ENABLED: opt.bool({
    doc: 'Federate with other domains (RFC 6120 server-to-server, authenticated by certificate with SASL EXTERNAL, XEP-0178, or by Server Dialback, XEP-0220). Off: stanzas for other domains bounce with `remote-server-not-found`.',
    default: false,
  }),
  S2S_HOST: opt.str({ doc: 'Address the server-to-server listener binds (`0.0.0.0` to federate from the Internet).', default: '127.0.0.1' }),
  S2S_PORT: opt.int({ doc: 'Server-to-server port (with S2S_ENABLED); 0 picks a free port, -1 accepts no inbound links (outbound only).', default: 5269, min: -1, max: 65535 }),
  S2S_TLS_PORT: opt.int({
    doc: 'Server-to-server port with direct TLS (XEP-0368; publish it as an `_xmpps-server._tcp` SRV record), on S2S_HOST; 0 picks a free port. Default -1: off, as in Prosody and ejabberd, since peers find it only through that SRV record (5270 is the customary choice).',
    default: -1,
    min: -1,
    max: 65535,
  }),
  S2S_DIALBACK_SECRET: opt.str({
    doc: 'Secret (at least 32 characters) from which dialback keys are derived (XEP-0185). Set the same value on every gateway: a remote server may verify a key at any of them. Empty: a random secret per process (verifications then succeed only at the gateway that opened the link).',
    default: '',
    pattern: /^(.{32,})?$/,
    secret: true,
  }),
  S2S_STATIC_ROUTES: opt.list({
    doc: 'Fixed addresses of remote servers, comma-separated `domain=host:port` (STARTTLS) or `domain=tls:host:port` (direct TLS, XEP-0368), used instead of DNS (SRV `_xmpps-server._tcp` and `_xmpp-server._tcp`, then A/AAAA on 5269).',
    default: '',
  }),
  S2S_REQUIRE_TLS: opt.bool({ doc: 'Require TLS (STARTTLS or direct TLS) on server-to-server streams, both directions.', default: true }),
  S2S_SECURE_AUTH: opt.bool({
    doc: "Require every peer to prove its domain with a certificate (RFC 6125 identity, chain to a trusted authority: S2S_CA_FILE, system roots): its links then use SASL EXTERNAL (or dialback backed by the certificate), and a peer whose certificate does not verify is refused (outbound stanzas bounce with `remote-server-timeout` of type cancel, its inbound stream ends with `policy-violation`). Default false, like Prosody's `s2s_secure_auth` and ejabberd: a peer with a valid certificate still authenticates by certificate, one without (self-signed, expired) falls back to dialback.",
    default: false,
  }),
  S2S_SECURE_DOMAINS: opt.list({ doc: 'Domains that must prove themselves by certificate even with S2S_SECURE_AUTH off (comma-separated).', default: '' }),
  S2S_INSECURE_DOMAINS: opt.list({ doc: 'Domains allowed to authenticate by dialback alone even with S2S_SECURE_AUTH on (comma-separated).', default: '' }),
  S2S_CA_FILE: opt.optionalStr({
    doc: "PEM bundle of certification authorities trusted for peer servers' certificates, added to the system roots (Node's bundled Mozilla store) unless S2S_CA_SYSTEM is false. Read at start.",
  }),
  S2S_CA_SYSTEM: opt.bool({ doc: "Trust the system roots (Node's bundled Mozilla store) for peer certificates; false: only S2S_CA_FILE (a private federation).", default: true }),
  S2S_CONNECT_TIMEOUT: opt.duration({ doc: 'Time an outbound link has to connect and authenticate; stanzas queued for it then bounce with `remote-server-timeout`.', default: '30s', min: '1s' }),
  S2S_RETRY_AFTER: opt.duration({
    doc: 'After a link to a remote server could not be set up, stanzas for its domain bounce at once (with the error that link gave) for this long instead of each starting a new attempt.',
    default: '30s',
    min: '0s',
    max: '1h',
  }),
  S2S_IDLE_TIMEOUT: opt.duration({ doc: 'Server-to-server links with no traffic for this long are closed.', default: '10m', min: '1s' }),
  S2S_RATE: opt.bytes({ doc: 'Sustained read rate per inbound server-to-server stream, bytes per second (reads pause above it; burst four times as much).', default: '256KiB', min: 1024 }),
  S2S_MAX_INBOUND: opt.int({ doc: 'Inbound server-to-server streams this gateway accepts at once.', default: 1000, min: 1 }),
  GATEWAY_OUTBOX_INTERVAL: opt.duration({ doc: 'How often account events a failed publish left in the outbox (gateway database) are published again.', default: '5s', min: '100ms' }),
};

/** Every option the gateway reads: the core's, then each module's (README's table is checked against this). */
export const gatewayConfigSpec: ConfigSpec = { ...gatewayCoreOptions, ...moduleOptions(GATEWAY_MODULES) };

/** The gateway core's validated configuration (modules read theirs through their context). */
export type GatewayConfig = ConfigOf<typeof gatewayCoreOptions>;

/** Reads the gateway configuration, throwing one error naming every bad variable. */
export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const c = loadConfig(gatewayConfigSpec, env) as GatewayConfig;
  if (!!c.TLS_CERT_FILE !== !!c.TLS_KEY_FILE) {
    throw new Error('invalid configuration:\n  - TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  }
  componentSecrets(c);
  parseStaticRoutes(c.S2S_STATIC_ROUTES);
  if (c.S2S_ENABLED) trustedAuthorities(c.S2S_CA_FILE, c.S2S_CA_SYSTEM);
  if (c.S2S_ENABLED && !c.S2S_CA_SYSTEM && !c.S2S_CA_FILE) throw new Error('invalid configuration:\n  - S2S_CA_SYSTEM=false needs S2S_CA_FILE (no authority would be trusted)');
  return c;
}

/** The external components configured (COMPONENTS, then COMPONENTS_FILE): domain → shared secret. Throws on a bad entry. */
export function componentSecrets(c: Pick<GatewayConfig, 'COMPONENTS' | 'COMPONENTS_FILE' | 'XMPP_DOMAIN'>): Map<string, string> {
  const entries = [...c.COMPONENTS, ...(c.COMPONENTS_FILE ? readComponentsFile(c.COMPONENTS_FILE) : [])];
  return parseComponents(entries, c.XMPP_DOMAIN.toLowerCase());
}

/**
 * The README's gateway configuration section: the core's options (those shared by
 * every service are documented above it), then each module's, as declared.
 */
export function gatewayConfigDoc(modules: ReadonlyArray<GatewayModule<any, any>> = GATEWAY_MODULES): string {
  const shared = new Set(Object.keys(commonOptions('gateway')));
  const core = Object.fromEntries(Object.entries(gatewayCoreOptions).filter(([k]) => !shared.has(k)));
  const parts = [describeConfig(core)];
  for (const m of modules) if (m.options && Object.keys(m.options).length) parts.push(`Module \`${m.name}\`:\n\n${describeConfig(m.options)}`);
  return parts.join('\n\n');
}
