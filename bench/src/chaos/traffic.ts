// Chat traffic for the fault-injection run, and its accounting. Real @xmpp/client
// clients (stream management with resumption, automatic reconnection, as a phone
// client behaves) connect through the balancer. Each message carries a unique id; the
// sender records which ones the server acknowledged (XEP-0198 `<a h/>`), which came back
// as errors; the receiver records each arrival and whether it carried a delay stamp
// (delivered from offline storage).
import { client as xmppClient, xml, type XmlElement } from '@xmpp/client';
import { ScramSha256Mechanism } from '@parley/testing-xmpp';

type Ltx = XmlElement;
const DELAY = 'urn:xmpp:delay';

/** One chat client that keeps itself connected. */
export class ChaosClient {
  /** Messages the server acknowledged (sender side). */
  readonly acked = new Set<string>();
  /** Messages the client library gave up on: the stream ended before an acknowledgement and could not be resumed. */
  readonly failed = new Set<string>();
  /** Messages answered with an error (sender side). */
  readonly bounced = new Map<string, string>();
  /** Arrivals per message id (receiver side): live or with a delay stamp. */
  readonly arrivals = new Map<string, { live: number; delayed: number }>();
  lastArrival = 0;
  /** Stream-management resumptions that worked, and fresh sessions bound (first login included). */
  resumed = 0;
  bound = 0;
  private x?: ReturnType<typeof xmppClient>;
  private watchdog?: NodeJS.Timeout;
  private stopped = false;
  private notOnlineSince = Date.now();
  private reconnecting = false;

  constructor(
    readonly username: string,
    private readonly password: string,
    private readonly port: () => number,
    private readonly log: (line: string) => void,
  ) {}

  get online(): boolean {
    return this.x?.status === 'online';
  }

  /** Connects and keeps connecting until stopped (a watchdog restarts a client whose reconnection gave up). */
  async start(): Promise<void> {
    this.stopped = false;
    this.x = this.create();
    await this.x.start();
    this.watchdog = setInterval(() => this.watch(), 1000);
    this.watchdog.unref();
  }

  private create(): ReturnType<typeof xmppClient> {
    const x = xmppClient({
      service: `xmpp://127.0.0.1:${this.port()}`,
      domain: 'localhost',
      timeout: 15_000,
      credentials: async (authenticate: (c: unknown, m: string) => Promise<void>, mechanisms: string[]) => authenticate({ username: this.username, password: this.password }, mechanisms[0]),
    });
    (x as unknown as { saslFactory: { use(m: unknown): void } }).saslFactory.use(ScramSha256Mechanism);
    x.on('error', () => undefined);
    x.on('online', () => {
      this.bound += 1;
      this.notOnlineSince = 0;
      x.send(xml('presence')).catch(() => undefined);
    });
    x.on('offline', () => (this.notOnlineSince ||= Date.now()));
    x.on('disconnect', () => (this.notOnlineSince ||= Date.now()));
    x.on('stanza', (el: Ltx) => this.onStanza(el));
    const sm = (x as unknown as { streamManagement: { on(ev: string, fn: (s: Ltx) => void): void } }).streamManagement;
    sm.on('resumed', () => {
      this.resumed += 1;
      this.notOnlineSince = 0;
    });
    sm.on('ack', (s) => {
      if (s.is('message') && s.attrs.id) this.acked.add(s.attrs.id);
    });
    sm.on('fail', (s) => {
      if (s.is('message') && s.attrs.id) this.failed.add(s.attrs.id);
    });
    return x;
  }

  private watch(): void {
    if (this.stopped || this.online || this.reconnecting || !this.notOnlineSince) return;
    if (Date.now() - this.notOnlineSince < 5000) return;
    // the library's own reconnection stopped (e.g. no gateway accepted for a while): start over
    this.reconnecting = true;
    const old = this.x!;
    this.notOnlineSince = Date.now();
    void (async () => {
      try {
        old.reconnect.stop();
        await old.stop().catch(() => undefined);
        this.x = this.create();
        await this.x.start();
      } catch (e) {
        this.log(`${this.username}: restart failed (${(e as Error).message}); retrying`);
      } finally {
        this.reconnecting = false;
      }
    })();
  }

  private onStanza(el: Ltx): void {
    if (!el.is('message') || !el.attrs.id?.startsWith('c:')) return;
    const id = el.attrs.id;
    if (el.attrs.type === 'error') {
      const condition = el.getChild('error')?.children.find((c): c is Ltx => typeof c !== 'string')?.name ?? 'unknown';
      this.bounced.set(id, condition);
      return;
    }
    const a = this.arrivals.get(id) ?? { live: 0, delayed: 0 };
    if (el.getChild('delay', DELAY)) a.delayed += 1;
    else a.live += 1;
    this.arrivals.set(id, a);
    this.lastArrival = Date.now();
  }

  /** Sends a chat message when online; false when not (the caller counts it as not sent). */
  send(to: string, id: string): boolean {
    if (!this.online || !this.x) return false;
    this.x.send(xml('message', { to, type: 'chat', id }, xml('body', {}, `chaos ${id}`))).catch(() => undefined);
    return true;
  }

  /** Sends any stanza (setup: archive preferences). */
  async iq(el: Ltx): Promise<void> {
    await this.x!.iqCaller.request(el, 15_000);
  }

  /** Leaves cleanly (a closing handshake: unacknowledged stanzas are routed again by the server). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    const x = this.x;
    if (!x) return;
    x.reconnect.stop();
    await Promise.race([x.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
  }
}

/** One row of the accounting table. */
export interface ChaosRow {
  fault: string;
  /** Messages the server acknowledged to their sender. */
  sent: number;
  /** Of those and of the unacknowledged: first arrival live. */
  delivered: number;
  /** First arrival with a delay stamp: kept in offline storage, delivered at a later login. */
  stored: number;
  bounced: number;
  /** Acknowledged to the sender, never arrived, never bounced. */
  lost: number;
  /** Arrived more than once. */
  duplicated: number;
  /** Sent while the stream was dying: never acknowledged (the sender's library reported failure); how many of them arrived anyway is in delivered/stored. */
  unconfirmed: number;
  /** Never acknowledged, never arrived, never bounced, and the sender's library did not report a failure either: the sender was never told. */
  untold: number;
}

/** The accounting of one fault's messages (ids `c:<fault index>:...`). */
export function account(fault: string, ids: string[], senders: ChaosClient[], receivers: ChaosClient[]): ChaosRow {
  const acked = new Set<string>();
  const bounced = new Set<string>();
  const failed = new Set<string>();
  for (const s of senders) {
    for (const id of s.acked) acked.add(id);
    for (const id of s.bounced.keys()) bounced.add(id);
    for (const id of s.failed) failed.add(id);
  }
  const arrivals = new Map<string, { live: number; delayed: number }>();
  for (const r of receivers) for (const [id, a] of r.arrivals) arrivals.set(id, a);
  const row: ChaosRow = { fault, sent: 0, delivered: 0, stored: 0, bounced: 0, lost: 0, duplicated: 0, unconfirmed: 0, untold: 0 };
  for (const id of ids) {
    const isAcked = acked.has(id);
    if (isAcked) row.sent += 1;
    else row.unconfirmed += 1;
    const a = arrivals.get(id);
    if (a && a.live + a.delayed > 0) {
      if (a.live > 0) row.delivered += 1;
      else row.stored += 1;
      if (a.live + a.delayed > 1) row.duplicated += 1;
    } else if (bounced.has(id)) row.bounced += 1;
    else if (isAcked) row.lost += 1;
    else if (!failed.has(id)) row.untold += 1;
  }
  return row;
}
