// RFC 7395: XMPP over WebSocket. Each WebSocket message is one element; the stream
// header is `<open/>` and its end `<close/>` in the framing namespace. This adapter
// translates those to and from the TCP stream form, so the same C2S connection
// (negotiation, SASL, binding, limits) serves both transports.
import { EventEmitter } from 'node:events';
import { createServer as createHttpServer, IncomingMessage, Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AddressInfo, BlockList, isIP } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { loggableAddress } from '@parley/runtime';
import { NS } from '@parley/stanza';
import { parseXml } from '@parley/xml';
import type { GatewayCore } from '../gateway-core';
import { C2SConnection } from '../stream/c2s';
import { refuseBusyAddress } from './address-limit';
import { BoshEndpoint } from './bosh';
import { qualifyStanza } from './stanza-namespace';
import { webHandler } from './web';

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const STREAM_OPEN = `<stream:stream xmlns='${NS.client}' xmlns:stream='${NS.stream}'`;

function attr(name: string, value: string | undefined): string {
  return value === undefined ? '' : ` ${name}='${value.replace(/&/g, '&amp;').replace(/'/g, '&apos;').replace(/</g, '&lt;')}'`;
}

/** Translates one server write (one element, the stream header, or its end) to a WebSocket message. */
export function toFrame(xml: string): string | undefined {
  if (xml.startsWith('<?xml')) {
    const head = /<stream:stream\b([^>]*)>/.exec(xml);
    const attrs = head ? head[1].replace(/\s+xmlns(:stream)?=(['"])[^'"]*\2/g, '') : '';
    return `<open xmlns='${FRAMING}'${attrs}/>`;
  }
  if (xml === '</stream:stream>') return `<close xmlns='${FRAMING}'/>`;
  if (/^\s+$/.test(xml)) return undefined; // whitespace keepalive: a WebSocket ping instead
  if (xml.startsWith('<stream:')) return xml.replace(/^<(stream:\w+)/, `<$1 xmlns:stream='${NS.stream}'`);
  return qualifyStanza(xml);
}

/** Translates one WebSocket message from the client to the TCP stream form. */
export function fromFrame(text: string): string {
  const t = text.trim();
  if (/^<open\b/.test(t)) {
    const el = parseXml(t);
    if (el.attrs.xmlns !== FRAMING) return t; // the parser reports the error
    return `${STREAM_OPEN}${attr('to', el.attrs.to)}${attr('from', el.attrs.from)}${attr('version', el.attrs.version)}${attr('xml:lang', el.attrs['xml:lang'])}>`;
  }
  if (/^<close\b/.test(t)) return '</stream:stream>';
  return t;
}

/** The slice of a socket that C2SConnection uses, over a WebSocket. */
class WebSocketStream extends EventEmitter {
  readonly remoteAddress: string | undefined;
  private open = true;

  constructor(
    private readonly ws: WebSocket,
    req: IncomingMessage,
    private readonly gw: GatewayCore,
  ) {
    super();
    this.remoteAddress = clientAddress(req, gw.config.WS_TRUSTED_PROXIES);
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        this.emit('data', Buffer.from('<binary/>')); // not XML text: the parser ends the stream
        return;
      }
      let text: string;
      try {
        text = fromFrame(data.toString());
      } catch {
        text = '<'; // an unparseable <open/>: let the stream parser answer not-well-formed
      }
      this.emit('data', Buffer.from(text));
    });
    ws.on('close', () => {
      this.open = false;
      this.emit('close');
    });
    ws.on('error', (e) => this.emit('error', e));
  }

  get writable(): boolean {
    return this.open && this.ws.readyState === WebSocket.OPEN;
  }
  get writableLength(): number {
    return this.ws.bufferedAmount;
  }
  write(xml: string): boolean {
    const frame = toFrame(xml);
    if (frame === undefined) this.ws.ping();
    else this.ws.send(frame);
    return true;
  }
  end(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
  }
  destroy(): void {
    this.open = false;
    this.ws.terminate();
  }
  pause(): void {
    this.ws.pause();
  }
  resume(): void {
    this.ws.resume();
  }
  setNoDelay(): void {}
  cork(): void {}
  uncork(): void {}
}

/**
 * Whether a browser origin may open a WebSocket: no Origin (a native client) always,
 * else an exact entry, `*`, or `scheme://*.domain` for its subdomains.
 */
export function originMatcher(allowed: readonly string[]): (origin: string | undefined) => boolean {
  const exact = new Set(allowed.map((a) => a.toLowerCase()));
  const wildcards = allowed.filter((a) => a.includes('://*.')).map((a) => {
    const [scheme, rest] = a.toLowerCase().split('://*.');
    return { scheme, suffix: `.${rest}` };
  });
  return (origin) => {
    if (origin === undefined || exact.has('*')) return true;
    const o = origin.toLowerCase();
    if (exact.has(o)) return true;
    return wildcards.some((w) => o.startsWith(`${w.scheme}://`) && o.endsWith(w.suffix) && !o.slice(w.scheme.length + 3, -w.suffix.length).includes('/'));
  };
}

/**
 * Whether an address is in a list of addresses and CIDR ranges (`10.0.0.5`, `10.0.0.0/8`,
 * `fd00::/8`): in Kubernetes the ingress controller's pods change addresses, so a trusted
 * proxy is named by its pod network. Throws on an entry that is neither.
 */
export function addressMatcher(list: readonly string[]): (address: string) => boolean {
  const block = new BlockList();
  for (const entry of list) {
    const [ip, bits, extra] = entry.split('/');
    const family = isIP(ip);
    const prefix = Number(bits);
    if (!family || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && prefix <= (family === 4 ? 32 : 128))))
      throw new Error(`"${entry}" is not an IP address or CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) block.addAddress(ip, type);
    else block.addSubnet(ip, prefix, type);
  }
  return (address) => {
    const family = isIP(address);
    return family !== 0 && block.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
}

const matchers = new WeakMap<readonly string[], (address: string) => boolean>();

/**
 * The client's address: from X-Forwarded-For when the peer is a trusted proxy (an address
 * or CIDR range of `trusted`), the right-most entry that is not itself a trusted proxy;
 * else the peer's own.
 */
export function clientAddress(req: Pick<IncomingMessage, 'headers' | 'socket'>, trusted: readonly string[]): string | undefined {
  const plain = (a: string | undefined) => (a?.startsWith('::ffff:') ? a.slice(7) : a);
  const peer = plain(req.socket.remoteAddress);
  const xff = req.headers['x-forwarded-for'];
  if (!peer || !xff || trusted.length === 0) return peer;
  let isTrusted = matchers.get(trusted);
  if (!isTrusted) matchers.set(trusted, (isTrusted = addressMatcher(trusted)));
  if (!isTrusted(peer)) return peer;
  const hops = (Array.isArray(xff) ? xff.join(',') : xff).split(',').map((h) => plain(h.trim())!).filter((h) => isIP(h));
  for (let i = hops.length - 1; i >= 0; i--) if (!isTrusted(hops[i])) return hops[i];
  return peer;
}

/** Whether an Origin is the listener's own host (a page it served itself). */
function sameHost(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined || host === undefined) return false;
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

/** The WebSocket listener. */
export interface WebSocketListener {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `wss://host:WS_PORT/xmpp-websocket` with the gateway's certificate, or plain
 * `ws://` when a TLS-terminating proxy sits in front (WS_BEHIND_TLS_PROXY: then the
 * connection counts as encrypted).
 */
export async function openWebSocket(gw: GatewayCore): Promise<WebSocketListener | undefined> {
  const cfg = gw.config;
  if (cfg.WS_PORT < 0) return undefined;
  const server: Server = cfg.WS_BEHIND_TLS_PROXY ? createHttpServer() : createHttpsServer({ cert: gw.tls.cert, key: gw.tls.key, minVersion: 'TLSv1.2' });
  if (!cfg.WS_BEHIND_TLS_PROXY) gw.onTlsChange((t) => (server as import('node:https').Server).setSecureContext({ cert: t.cert, key: t.key, minVersion: 'TLSv1.2' }));
  const originAllowed = originMatcher(cfg.WS_ALLOWED_ORIGINS);
  addressMatcher(cfg.WS_TRUSTED_PROXIES); // a bad entry stops the start, not a connection
  const wss = new WebSocketServer({
    server,
    path: cfg.WS_PATH,
    // RFC 7395: one stanza per message; a larger frame is refused by the library (close 1009)
    maxPayload: cfg.MAX_STANZA_SIZE + 1024,
    // a page this listener served (/chat) is always allowed
    verifyClient: (info: { origin?: string; req: IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) =>
      originAllowed(info.origin) || sameHost(info.origin, info.req.headers.host) ? done(true) : done(false, 403, 'origin not allowed'),
    handleProtocols: (protocols) => (protocols.has('xmpp') ? 'xmpp' : false),
  });
  wss.on('connection', (ws, req) => {
    if (ws.protocol !== 'xmpp') {
      ws.close(1002, 'the xmpp subprotocol is required (RFC 7395)');
      return;
    }
    if (gw.connections.size >= cfg.MAX_CONNECTIONS) {
      gw.log.warn({ address: loggableAddress(req.socket.remoteAddress) }, 'connection limit reached; refused');
      ws.terminate();
      return;
    }
    const stream = new WebSocketStream(ws, req, gw);
    const c = new C2SConnection(stream as never, gw, true, { startTls: false });
    if (!gw.connectionOpened(c)) refuseBusyAddress(gw, c);
  });
  const bosh = cfg.BOSH_ENABLED
    ? new BoshEndpoint(gw, {
        maxWait: cfg.BOSH_MAX_WAIT,
        maxHold: cfg.BOSH_MAX_HOLD,
        inactivity: cfg.BOSH_INACTIVITY,
        polling: cfg.BOSH_POLLING,
        maxPause: cfg.BOSH_MAX_PAUSE,
        maxBody: cfg.BOSH_MAX_BODY,
      })
    : undefined;
  server.on(
    'request',
    webHandler({
      cfg,
      domain: gw.domain,
      bosh,
      originAllowed,
      address: (req) => clientAddress(req, cfg.WS_TRUSTED_PROXIES),
      moduleRoute: (path) => {
        for (const [prefix, handler] of gw.registry.httpRoutes) if (path === prefix || path.startsWith(`${prefix}/`)) return handler;
        return undefined;
      },
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.WS_PORT, cfg.C2S_HOST, () => resolve((server.address() as AddressInfo).port));
  });
  gw.log.info({ host: cfg.C2S_HOST, port, path: cfg.WS_PATH, bosh: cfg.BOSH_ENABLED ? cfg.BOSH_PATH : undefined, webClient: cfg.WEB_CLIENT, tls: !cfg.WS_BEHIND_TLS_PROXY }, 'XMPP WebSocket listener open');
  return {
    port,
    close: async () => {
      bosh?.close();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
