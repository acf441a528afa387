// Renders the NATS server's authorization from the bus roles declared in
// @parley/contracts (BUS_ROLES): one user per role with publish/subscribe permissions
// for exactly the subjects, streams and durable consumers that role declares, plus an
// `admin` user for operators. Passwords are never in the rendered file: each is an
// environment reference (`$PARLEY_NATS_ROSTER_PASSWORD`) resolved by nats-server at start.
import { BUS_ROLES, type BusRole, type BusRoleName } from '@parley/contracts';
import { inboxPrefixFor, wireStreamName, wireSubject } from './naming';

/**
 * A NATS user's permissions (nats-server config `permissions` block). Replies go to the
 * inboxes of the roles that may send the requests (each role's inbox prefix is its own,
 * `_INBOX_<user>`), not through `allow_responses`: nats-server remembers every reply
 * subject delivered to an `allow_responses` user for two minutes — JetStream deliveries
 * included, whose `$JS.ACK` replies the role may publish anyway — and scans that whole
 * list on every delivery past 4 096 entries, which made consuming a stream quadratic
 * (30 000 offline hand-offs: 14 s of nats-server CPU instead of 0.6 s).
 */
export interface NatsPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
}

/** Whether two NATS subject patterns (`*` one token, `>` the rest) can match one subject. */
export function subjectsOverlap(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] === '>' || y[i] === '>') return true;
    if (x[i] !== '*' && y[i] !== '*' && x[i] !== y[i]) return false;
  }
  return x.length === y.length;
}

/** The roles (by name) that may publish to a subject `role` subscribes to: whose requests it answers. */
export function requestersOf(role: BusRole, roles: Record<string, BusRole> = BUS_ROLES as Record<string, BusRole>): string[] {
  return Object.keys(roles)
    .filter((name) => roles[name].publishes.some((p) => role.subscribes.some((s) => subjectsOverlap(p, s))))
    .sort();
}

const uniq = (xs: string[]): string[] => [...new Set(xs)];

/** The user name of a role in a namespace (the namespace keeps deployments sharing one NATS apart). */
export function busUser(role: string, namespace = ''): string {
  return namespace ? `${namespace}-${role}` : role;
}

/** The environment variable holding a role's NATS password (server side and in `run-all`/compose). */
export function busPasswordVar(role: string): string {
  return `PARLEY_NATS_${role.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PASSWORD`;
}

/**
 * The permissions of one role in a namespace. `roles` are the deployment's roles, whose
 * requests this one may answer (default: every role in BUS_ROLES); the operators'
 * `admin` user may always be answered.
 */
export function natsPermissions(role: BusRole, user: string, namespace = '', roles: Record<string, BusRole> = BUS_ROLES as Record<string, BusRole>): NatsPermissions {
  const ns = (s: string) => wireSubject(namespace, s);
  const stream = (s: { name: string }) => wireStreamName(namespace, s);
  const pub: string[] = [...role.publishes.map(ns)];
  for (const s of role.writes) pub.push(...s.subjects.map(ns));
  pub.push('$JS.API.INFO');
  for (const s of role.owns) {
    const n = stream(s);
    // The owner also removes what it erased (e.g. a deleted user's subject) and reads single messages.
    pub.push(
      `$JS.API.STREAM.INFO.${n}`,
      `$JS.API.STREAM.CREATE.${n}`,
      `$JS.API.STREAM.UPDATE.${n}`,
      `$JS.API.STREAM.PURGE.${n}`,
      `$JS.API.STREAM.MSG.DELETE.${n}`,
      `$JS.API.STREAM.MSG.GET.${n}`,
    );
  }
  // Create-if-absent: creating a stream that exists with another configuration fails, so this cannot change it.
  for (const s of role.provisions) {
    const n = stream(s);
    pub.push(`$JS.API.STREAM.INFO.${n}`, `$JS.API.STREAM.CREATE.${n}`);
  }
  for (const { stream: s, durable } of role.consumes) {
    const n = stream(s);
    pub.push(
      `$JS.API.STREAM.INFO.${n}`,
      `$JS.API.CONSUMER.INFO.${n}.${durable}`,
      `$JS.API.CONSUMER.CREATE.${n}.${durable}`,
      `$JS.API.CONSUMER.CREATE.${n}.${durable}.>`,
      `$JS.API.CONSUMER.DURABLE.CREATE.${n}.${durable}`,
      `$JS.API.CONSUMER.MSG.NEXT.${n}.${durable}`,
      `$JS.ACK.${n}.${durable}.>`,
    );
  }
  for (const s of role.replays) {
    const n = stream(s);
    // Ordered consumers are ephemeral, with generated names: any consumer on this stream.
    pub.push(`$JS.API.STREAM.INFO.${n}`, `$JS.API.STREAM.MSG.GET.${n}`, `$JS.API.CONSUMER.CREATE.${n}.>`, `$JS.API.CONSUMER.INFO.${n}.>`, `$JS.API.CONSUMER.MSG.NEXT.${n}.>`, `$JS.API.CONSUMER.DELETE.${n}.>`);
  }
  for (const bucket of role.kv ?? []) {
    const name = wireStreamName(namespace, { name: bucket });
    const n = `KV_${name}`;
    pub.push(
      `$KV.${name}.>`,
      `$JS.API.STREAM.INFO.${n}`,
      `$JS.API.STREAM.CREATE.${n}`,
      `$JS.API.STREAM.UPDATE.${n}`,
      `$JS.API.STREAM.DELETE.${n}`,
      `$JS.API.STREAM.MSG.GET.${n}`,
      `$JS.API.DIRECT.GET.${n}`,
      `$JS.API.DIRECT.GET.${n}.>`,
    );
  }
  // Scatter-gather answers in several chunks go to a peer of the same role, whose inbox prefix is known.
  if (role.answersInChunks) pub.push(`${inboxPrefixFor(user)}.>`);
  // Answers go to the inboxes of the roles that may ask, and of operators (admin).
  const requesters = requestersOf(role, roles);
  for (const r of requesters) pub.push(`${inboxPrefixFor(busUser(r, namespace))}.>`);
  if (requesters.length) pub.push(`${inboxPrefixFor(busUser('admin', namespace))}.>`);
  const sub = [...role.subscribes.map(ns), `${inboxPrefixFor(user)}.>`];
  return { publish: { allow: uniq(pub) }, subscribe: { allow: uniq(sub) } };
}

/** Options of {@link natsAuthorizationConfig}. */
export interface NatsAuthOptions {
  namespace?: string;
  /** Roles to render (default: every role in BUS_ROLES). */
  roles?: Partial<Record<string, BusRole>>;
  /** Include the `admin` user (full access, for operators and tests). Default true. */
  admin?: boolean;
}

const q = (s: string) => JSON.stringify(s);

/**
 * The `authorization { users = [...] }` block of a nats-server configuration, for
 * inclusion in the server's main file (`include ./parley-auth.conf`).
 */
export function natsAuthorizationConfig(o: NatsAuthOptions = {}): string {
  const namespace = o.namespace ?? '';
  const roles = (o.roles ?? BUS_ROLES) as Record<string, BusRole>;
  const lines: string[] = [
    '# Generated from the bus roles in libs/contracts (src/bus-roles.ts); do not edit.',
    `# Regenerate: npm run ctl -- bus-config${namespace ? ` --namespace ${namespace}` : ''}`,
    '# Each password is read from the environment of nats-server at start.',
    'authorization {',
    '  users = [',
  ];
  const list = (xs: string[]) => `[${xs.map(q).join(', ')}]`;
  for (const name of Object.keys(roles).sort()) {
    const user = busUser(name, namespace);
    const p = natsPermissions(roles[name], user, namespace, roles);
    lines.push(
      `    { user: ${q(user)}, password: $${busPasswordVar(name)}, permissions: {`,
      `        publish: { allow: ${list(p.publish.allow)} }`,
      `        subscribe: { allow: ${list(p.subscribe.allow)} }`,
      '    } }',
    );
  }
  if (o.admin !== false) {
    lines.push(`    { user: ${q(busUser('admin', namespace))}, password: $${busPasswordVar('admin')} }`);
  }
  lines.push('  ]', '}', '');
  return lines.join('\n');
}

/** Every role name that needs credentials (the roles plus `admin`). */
export function busCredentialRoles(): string[] {
  return [...(Object.keys(BUS_ROLES) as BusRoleName[]).sort(), 'admin'];
}
