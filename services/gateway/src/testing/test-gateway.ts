// A whole gateway core in one process, for tests that run on every save: the real
// router, sessions, directory, module host and modules, with an in-process bus
// (FakeBus), an in-memory account store, and clients that are sessions over a fake
// transport. No NATS, no Postgres, no sockets.
import type { ResourceState } from '../session/directory';
import { parseXml, Element } from '@parley/xml';
import type { StreamError } from '@parley/stanza';
import pino from 'pino';
import { loadGatewayConfig } from '../config/config';
import { CoreCluster, GatewayCore } from '../gateway-core';
import type { GatewayModule } from '../host/module';
import type { Session, SessionTransport } from '../session/session';
import { FakeBus } from './fake-bus';
import { MemoryAccountsStore } from './memory-accounts';

/** Records what would cross to other gateway instances. */
export class FakeCluster implements CoreCluster {
  readonly remote: Array<{ instanceId: string; targets: string[]; xml: string }> = [];
  readonly announced: Array<{ op: 'up' | 'down'; bare: string; resource: string; state?: ResourceState }> = [];
  constructor(readonly instanceId: string) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  announceUp(bare: string, st: ResourceState): void {
    this.announced.push({ op: 'up', bare, resource: st.resource, state: { ...st, session: undefined } });
  }
  announceDown(bare: string, resource: string): void {
    this.announced.push({ op: 'down', bare, resource });
  }
  kickRemote(): void {}
  deliverRemote(instanceId: string, targets: string[], xml: string): boolean {
    this.remote.push({ instanceId, targets, xml });
    return true;
  }
}

const DOMAIN = 'localhost';

/** A bound client: what the server wrote to it, parsed. */
export class TestClient {
  readonly received: Element[] = [];
  closedWith?: StreamError | 'closed';
  private waiters: Array<() => void> = [];
  private ids = 0;
  session!: Session;

  constructor(private readonly gw: TestGateway) {}

  /** The session's transport (writes parse into `received`). */
  readonly transport: SessionTransport = {
    secure: true,
    address: '192.0.2.7',
    write: (xml) => {
      this.received.push(parseXml(xml));
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    },
    close: (error) => {
      this.closedWith = error ?? 'closed';
      if (!this.session.closed) this.gw.core.sessions.unbind(this.session, 'closed');
    },
  };

  get full(): string {
    return this.session.full;
  }

  get bare(): string {
    return this.session.bare;
  }

  /** Sends a stanza as the client would: `from` stamped with the full JID, then the router. */
  async send(stanza: string | Element): Promise<void> {
    const el = typeof stanza === 'string' ? parseXml(stanza) : stanza;
    el.attrs.from = this.session.full;
    await this.gw.core.router.fromClient(this.session, el);
  }

  /** Sends an IQ (an id is added when missing) and waits for its answer. */
  async iq(stanza: string | Element): Promise<Element> {
    const el = typeof stanza === 'string' ? parseXml(stanza) : stanza;
    el.attrs.id ??= `q${++this.ids}`;
    const id = el.attrs.id;
    await this.send(el);
    return this.next((s) => s.name === 'iq' && s.attrs.id === id && (s.attrs.type === 'result' || s.attrs.type === 'error'), `the answer to iq ${id}`);
  }

  /** Waits for (and consumes) the first received stanza matching `pred`. */
  async next(pred: (s: Element) => boolean, what = 'a stanza', timeoutMs = 2000): Promise<Element> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.received.findIndex(pred);
      if (i >= 0) return this.received.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; received: ${this.received.map(String).join('\n') || '(nothing)'}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Lets pending work settle, then returns (and consumes) what matched. */
  async drain(pred: (s: Element) => boolean = () => true): Promise<Element[]> {
    await settle();
    const out = this.received.filter(pred);
    for (const s of out) this.received.splice(this.received.indexOf(s), 1);
    return out;
  }

  /** Ends the session (as a closed stream does). */
  close(): void {
    this.gw.core.sessions.unbind(this.session, 'closed');
  }
}

/** Waits until the microtask queue and timers of zero delay ran (promises settled). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

export interface TestGatewayOptions {
  modules: ReadonlyArray<GatewayModule<any, any>>;
  /** Environment for the configuration (module options too). */
  env?: Record<string, string>;
  bus?: FakeBus;
  instanceId?: string;
}

export class TestGateway {
  readonly domain = DOMAIN;

  private constructor(
    readonly core: GatewayCore,
    readonly bus: FakeBus,
    readonly cluster: FakeCluster,
    readonly store: MemoryAccountsStore,
  ) {}

  static async start(o: TestGatewayOptions): Promise<TestGateway> {
    const bus = o.bus ?? new FakeBus();
    const instanceId = o.instanceId ?? 'gw-test';
    const config = loadGatewayConfig({ XMPP_DOMAIN: DOMAIN, TLS_REQUIRED: 'false', INSTANCE_ID: instanceId, SCRAM_ITERATIONS: '4096', ...o.env });
    let cluster!: FakeCluster;
    const store = new MemoryAccountsStore();
    const core = new GatewayCore(config, {
      bus,
      store,
      outbox: store.relay(bus),
      tls: { cert: '', key: '', context: undefined as never, serverEndPoint: Buffer.alloc(32) },
      log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      modules: o.modules,
      cluster: () => (cluster = new FakeCluster(instanceId)),
    });
    const gw = new TestGateway(core, bus, cluster, store);
    await core.start();
    return gw;
  }

  /** Creates accounts (without credentials worth deriving: these users bind directly, never authenticate). */
  async accounts(...users: string[]): Promise<void> {
    const none = { salt: Buffer.alloc(16), iterations: 4096, storedKey: Buffer.alloc(32), serverKey: Buffer.alloc(32) };
    for (const u of users) await this.store.create(this.core.accounts.prepareUsername(u), { sha1: none, sha256: none });
  }

  /** Binds a session for `user` (the account is created when missing). */
  async login(user: string, resource?: string): Promise<TestClient> {
    if (!(await this.store.exists(user.toLowerCase()))) await this.accounts(user);
    const c = new TestClient(this);
    c.session = this.core.sessions.bind(user.toLowerCase(), resource, c.transport, 'SCRAM-SHA-256');
    return c;
  }

  /** Binds a session and sends initial presence. */
  async online(user: string, resource?: string, presence = '<presence/>'): Promise<TestClient> {
    const c = await this.login(user, resource);
    await c.send(presence);
    await settle();
    return c;
  }

  async stop(): Promise<void> {
    await this.core.stop();
  }
}

export { FakeBus };
