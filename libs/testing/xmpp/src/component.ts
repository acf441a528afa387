// A real external component (XEP-0114) for end-to-end tests: @xmpp/component over a
// real socket, recording what it receives (tests wait for conditions, never sleep).
import { component as xmppComponent, xml } from '@xmpp/component';
import type { XmlElement } from '@xmpp/client';
import { stanzaWaiter } from './client';

/** A connected component and what it received. */
export interface TestComponent {
  xmpp: ReturnType<typeof xmppComponent>;
  domain: string;
  received: XmlElement[];
  send(el: XmlElement): Promise<void>;
  /** Waits for a received stanza matching `pred` (already received ones count). */
  waitFor(pred: (el: XmlElement) => boolean, what?: string, timeoutMs?: number): Promise<XmlElement>;
  stop(): Promise<void>;
}

/** Connects a component named `domain` with `password` to `port`; rejects with the server's stream error when refused. */
export async function connectComponent(o: { port: number; domain: string; password: string }): Promise<TestComponent> {
  const x = xmppComponent({ service: `xmpp://127.0.0.1:${o.port}`, domain: o.domain, password: o.password });
  x.reconnect.stop();
  const received: XmlElement[] = [];
  const waiters = new Set<() => void>();
  x.on('stanza', (el: XmlElement) => {
    received.push(el);
    for (const w of [...waiters]) w();
  });
  // a refused handshake arrives as a stream error: the 'error' event carries it, and start() would wait for 'online' forever
  const refused = new Promise<never>((_, reject) => x.on('error', (e: Error) => reject(e)));
  refused.catch(() => undefined);
  await Promise.race([x.start(), refused]);
  const waitFor = stanzaWaiter(received, waiters, `component ${o.domain}`, 20_000);
  return {
    xmpp: x,
    domain: o.domain,
    received,
    send: (el) => x.send(el),
    waitFor,
    stop: async () => {
      try {
        await x.stop();
      } catch {
        /* already gone */
      }
    },
  };
}

export { xml as componentXml };
