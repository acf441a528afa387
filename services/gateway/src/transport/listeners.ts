// Client listeners: TCP with STARTTLS (RFC 6120) and direct TLS (XEP-0368).
// Sockets live here and in the connection; nothing else touches them.
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';
import { loggableAddress } from '@parley/runtime';
import type { GatewayCore } from '../gateway-core';
import { C2SConnection } from '../stream/c2s';
import { ComponentConnection } from '../components/component-stream';
import { refuseBusyAddress } from './address-limit';
import { readProxyHeader } from './proxy-protocol';
import { openWebSocket } from './websocket';

/** The bound listeners and their ports. */
export interface Listeners {
  starttlsPort: number;
  directTlsPort?: number;
  webSocketPort?: number;
  /** The external component port (XEP-0114), open when components are configured. */
  componentPort?: number;
  /** The server-to-server port, open with S2S_ENABLED. */
  s2sPort?: number;
  /** The server-to-server direct-TLS port (XEP-0368), open with S2S_ENABLED and S2S_TLS_PORT. */
  s2sTlsPort?: number;
  close(): Promise<void>;
}

function accept(gw: GatewayCore, socket: Socket, direct: boolean, address?: string): void {
  if (gw.connections.size >= gw.config.MAX_CONNECTIONS) {
    gw.log.warn({ address: loggableAddress(address ?? socket.remoteAddress) }, 'connection limit reached; refused');
    socket.destroy();
    return;
  }
  const c = new C2SConnection(socket, gw, direct, { startTls: true, ...(address ? { address } : {}) });
  if (!gw.connectionOpened(c)) refuseBusyAddress(gw, c);
}

/**
 * An external component's connection (XEP-0114). Only configured components can pass
 * the handshake; unauthenticated connections are capped (four per configured component)
 * so that the port cannot be used to hold sockets open.
 */
function acceptComponent(gw: GatewayCore, socket: Socket): void {
  const c = gw.components;
  if (c.connections.size >= 4 * c.domains.length) {
    gw.log.warn({ address: loggableAddress(socket.remoteAddress) }, 'component connection limit reached; refused');
    socket.destroy();
    return;
  }
  c.opened(new ComponentConnection(socket, c));
}

/** Whether a peer may send a PROXY header (C2S_PROXY_TRUSTED empty: any peer, the balancer being the only one). */
function trustedProxy(gw: GatewayCore, peer: string | undefined): boolean {
  const trusted = gw.config.C2S_PROXY_TRUSTED;
  const plain = peer?.startsWith('::ffff:') ? peer.slice(7) : peer;
  return trusted.length === 0 || (plain !== undefined && trusted.includes(plain));
}

/**
 * Behind a TCP balancer speaking the PROXY protocol: the header is read first, then the
 * connection goes on as usual (for direct TLS, the handshake starts after the header,
 * over what followed it) with the client's address for the in-memory throttles.
 */
function acceptProxied(gw: GatewayCore, socket: Socket, direct: boolean): void {
  const peer = socket.remoteAddress;
  if (!trustedProxy(gw, peer)) {
    gw.log.warn({ address: loggableAddress(peer) }, 'PROXY header from an untrusted peer; connection refused');
    socket.destroy();
    return;
  }
  readProxyHeader(socket, gw.config.AUTH_TIMEOUT).then(
    ({ address, rest }) => {
      if (!direct) {
        if (rest.length) socket.unshift(rest);
        accept(gw, socket, false, address);
        socket.resume(); // paused while the header was read; the connection reads from here on
        return;
      }
      const tls = new TLSSocket(replay(socket, rest), { isServer: true, secureContext: gw.tls.context, ALPNProtocols: ['xmpp-client'] });
      tls.once('secure', () => accept(gw, tls, true, address));
      tls.once('error', (e) => {
        gw.log.debug({ err: e.message }, 'TLS handshake failed');
        socket.destroy();
      });
    },
    (e: Error) => {
      gw.log.debug({ err: e.message, address: loggableAddress(peer) }, 'no valid PROXY header; connection dropped');
      socket.destroy();
    },
  );
}

/** A duplex over `socket` that first yields `head` (bytes already read past the PROXY header). */
function replay(socket: Socket, head: Buffer): Duplex {
  const d = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk, encoding, cb) {
      socket.write(chunk, encoding, cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy(err ?? undefined);
      cb(err);
    },
  });
  if (head.length) d.push(head);
  socket.on('data', (c: Buffer) => {
    if (!d.push(c)) socket.pause();
  });
  socket.on('end', () => d.push(null));
  socket.on('error', (e) => d.destroy(e));
  socket.on('close', () => d.destroy());
  return d;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Opens the configured listeners. */
export async function openListeners(gw: GatewayCore): Promise<Listeners> {
  const cfg = gw.config;
  const proxied = cfg.C2S_PROXY_PROTOCOL;
  const plain = createServer({ noDelay: true }, (s) => (proxied ? acceptProxied(gw, s, false) : accept(gw, s, false)));
  const starttlsPort = await listen(plain, cfg.C2S_PORT, cfg.C2S_HOST);
  let direct: Server | undefined;
  let directTlsPort: number | undefined;
  if (cfg.C2S_DIRECT_TLS_PORT >= 0) {
    if (proxied) direct = createServer({ noDelay: true }, (s) => acceptProxied(gw, s, true));
    else {
      const tlsServer = createTlsServer({ cert: gw.tls.cert, key: gw.tls.key, ALPNProtocols: ['xmpp-client'], minVersion: 'TLSv1.2' }, (s: TLSSocket) => accept(gw, s, true));
      tlsServer.on('tlsClientError', (e) => gw.log.debug({ err: e.message }, 'TLS handshake failed'));
      gw.onTlsChange((t) => tlsServer.setSecureContext({ cert: t.cert, key: t.key, minVersion: 'TLSv1.2' }));
      direct = tlsServer;
    }
    directTlsPort = await listen(direct, cfg.C2S_DIRECT_TLS_PORT, cfg.C2S_HOST);
  }
  const ws = await openWebSocket(gw);
  let components: Server | undefined;
  let componentPort: number | undefined;
  if (cfg.COMPONENT_PORT >= 0 && gw.components.domains.length) {
    components = createServer({ noDelay: true }, (s) => acceptComponent(gw, s));
    componentPort = await listen(components, cfg.COMPONENT_PORT, cfg.COMPONENT_HOST);
  }
  let s2s: Server | undefined;
  let s2sPort: number | undefined;
  let s2sTls: Server | undefined;
  let s2sTlsPort: number | undefined;
  const federation = gw.federation;
  if (federation && cfg.S2S_PORT >= 0) {
    s2s = createServer({ noDelay: true }, (s) => federation.accept(s));
    s2sPort = await listen(s2s, cfg.S2S_PORT, cfg.S2S_HOST);
  }
  if (federation && cfg.S2S_TLS_PORT >= 0) {
    // a plain listener: the federation runs the handshake, asking for the peer's certificate
    s2sTls = createServer({ noDelay: true }, (s) => federation.accept(s, true));
    s2sTlsPort = await listen(s2sTls, cfg.S2S_TLS_PORT, cfg.S2S_HOST);
  }
  gw.log.info({ host: cfg.C2S_HOST, starttlsPort, directTlsPort, webSocketPort: ws?.port, componentPort, s2sPort, s2sTlsPort, domain: gw.domain, instance: gw.instanceId }, 'XMPP listeners open');
  return {
    starttlsPort,
    directTlsPort,
    webSocketPort: ws?.port,
    componentPort,
    s2sPort,
    s2sTlsPort,
    close: async () => {
      await Promise.all([...[plain, direct, components, s2s, s2sTls].filter((s): s is Server => !!s).map((s) => new Promise<void>((r) => s.close(() => r()))), ws?.close()]);
    },
  };
}
