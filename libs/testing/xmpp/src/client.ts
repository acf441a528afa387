// Real XMPP clients for end-to-end tests: @xmpp/client over real sockets, plus
// helpers to wait for stanzas (tests wait for conditions, never sleep).
import { client as xmppClient, xml, type XmlElement } from '@xmpp/client';
import { ScramSha256Mechanism } from './scram-sha-256';

type Ltx = XmlElement;

/** Options of {@link connectClient}. */
export interface ConnectOptions {
  port: number;
  username: string;
  password: string;
  resource?: string;
  domain?: string;
  /** Force a SASL mechanism (default: what the client prefers). */
  mechanism?: 'SCRAM-SHA-1' | 'SCRAM-SHA-256' | 'PLAIN';
  /** Connect with direct TLS (XEP-0368) instead of STARTTLS. */
  directTls?: boolean;
  /** Connect over WebSocket (RFC 7395) to this URL instead of TCP. */
  webSocketUrl?: string;
  /** Send initial presence after login (default true). */
  presence?: boolean | number;
}

/** A logged-in client and what it received. */
export interface TestClient {
  xmpp: ReturnType<typeof xmppClient>;
  jid: string;
  received: Ltx[];
  send(el: Ltx): Promise<void>;
  /** Waits for a received stanza matching `pred` (already received ones count). */
  waitFor(pred: (el: Ltx) => boolean, what?: string, timeoutMs?: number): Promise<Ltx>;
  /** Sends an IQ and resolves with the result's payload element (rejects with the error). */
  iq(el: Ltx, timeoutMs?: number): Promise<Ltx>;
  /** Sends an IQ and resolves with the whole result stanza. */
  iqStanza(el: Ltx, timeoutMs?: number): Promise<Ltx>;
  stop(): Promise<void>;
}

export { xml };

/** An IQ error reply as an Error: `condition`, `text` and `type` from its `<error/>`, which is `element` (as @xmpp/client's StanzaError). */
export class IqError extends Error {
  constructor(
    readonly condition: string,
    readonly text: string | undefined,
    readonly type: string | undefined,
    readonly element: Ltx,
  ) {
    super(text ? `${condition} - ${text}` : condition);
    this.name = 'StanzaError';
  }

  static of(iq: Ltx): IqError {
    const err = iq.getChild('error') ?? xml('error');
    const condition = err.children.find((c): c is Ltx => typeof c !== 'string' && c.name !== 'text' && c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas')?.name ?? 'undefined-condition';
    return new IqError(condition, err.getChildText('text') ?? undefined, err.attrs.type, err);
  }
}

/** Logs in with @xmpp/client and resolves once online (and initial presence sent). */
export async function connectClient(o: ConnectOptions): Promise<TestClient> {
  const domain = o.domain ?? 'localhost';
  if (o.webSocketUrl && !(globalThis as { WebSocket?: unknown }).WebSocket) {
    // Node 20 has no global WebSocket; @xmpp/websocket expects one (the `ws` client is compatible)
    (globalThis as { WebSocket?: unknown }).WebSocket = (await import('ws')).WebSocket;
  }
  const x = xmppClient({
    service: o.webSocketUrl ?? `${o.directTls ? 'xmpps' : 'xmpp'}://127.0.0.1:${o.port}`,
    // the library waits 2 s for each stream (re)open by default: too short on a loaded 2-core CI machine
    timeout: 15_000,
    domain,
    resource: o.resource,
    credentials: async (authenticate: (c: unknown, m: string) => Promise<void>, mechanisms: string[]) => {
      const m = o.mechanism ?? mechanisms[0];
      await authenticate({ username: o.username, password: o.password }, m);
    },
  });
  (x as unknown as { saslFactory: { use(m: unknown): void } }).saslFactory.use(ScramSha256Mechanism);
  x.reconnect.stop();
  const received: Ltx[] = [];
  const waiters = new Set<() => void>();
  // IQ requests are matched here, not by the library's iqCaller: its pending promise can be
  // rejected by a fast error reply before its socket write settles, and Jest then reports
  // that moment of no handler as an unhandled rejection failing the test.
  const pending = new Map<string, { resolve(el: Ltx): void; reject(e: Error): void }>();
  let nextId = 0;
  x.on('stanza', (el: Ltx) => {
    const waiting = el.name === 'iq' && (el.attrs.type === 'result' || el.attrs.type === 'error') ? pending.get(el.attrs.id) : undefined;
    if (waiting) {
      pending.delete(el.attrs.id);
      if (el.attrs.type === 'result') waiting.resolve(el);
      else waiting.reject(IqError.of(el));
    }
    received.push(el);
    for (const w of [...waiters]) w();
  });
  x.on('error', () => undefined);
  const address = await x.start();
  if (o.presence !== false) await x.send(xml('presence', {}, typeof o.presence === 'number' ? xml('priority', {}, String(o.presence)) : undefined));

  const waitFor = stanzaWaiter(received, waiters, address.toString(), 10_000);
  const request = (el: Ltx, timeoutMs = 10_000): Promise<Ltx> => {
    const id = (el.attrs.id ??= `t${(nextId += 1)}`) as string;
    return new Promise<Ltx>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${address.toString()}: no answer to iq ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = <T>(f: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        f(v);
      };
      pending.set(id, { resolve: settle(resolve), reject: settle(reject) });
      x.send(el).catch((e: Error) => {
        if (pending.delete(id)) settle(reject)(e);
      });
    });
  };

  return {
    xmpp: x,
    jid: address.toString(),
    received,
    send: (el) => x.send(el),
    waitFor,
    iq: async (el, timeoutMs = 10_000) => {
      const res = await request(el, timeoutMs);
      return res.children.find((c): c is Ltx => typeof c !== 'string') as Ltx;
    },
    iqStanza: request,
    stop: async () => {
      try {
        await x.stop();
      } catch {
        /* already gone */
      }
    },
  };
}

/**
 * `waitFor` over a list of received stanzas that `waiters` are told about: resolves with the
 * first match (already received ones count), rejects after `timeoutMs` naming `who`.
 */
export function stanzaWaiter(received: Ltx[], waiters: Set<() => void>, who: string, defaultTimeoutMs: number) {
  return (pred: (el: Ltx) => boolean, what = 'stanza', timeoutMs = defaultTimeoutMs) =>
    new Promise<Ltx>((resolve, reject) => {
      const found = received.find(pred);
      if (found) return resolve(found);
      const check = () => {
        const f = received.find(pred);
        if (f) {
          clearTimeout(t);
          waiters.delete(check);
          resolve(f);
        }
      };
      const t = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`${who} timed out waiting for ${what}; got ${received.slice(-5).map(String).join('\n')}`));
      }, timeoutMs);
      waiters.add(check);
    });
}
