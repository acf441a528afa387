// Client listeners: TCP with STARTTLS (RFC 6120) and direct TLS (XEP-0368).
// Sockets live here and in the connection; nothing else touches them.
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';
import { loggableAddress } from '@parley/runtime';
import type { GatewayCore } from '../gateway-core';
import { C2SConnection } from '../stream/c2s';
import { openWebSocket } from './websocket';

/** The bound listeners and their ports. */
export interface Listeners {
  starttlsPort: number;
  directTlsPort?: number;
  webSocketPort?: number;
  close(): Promise<void>;
}

function accept(gw: GatewayCore, socket: Socket, direct: boolean): void {
  if (gw.connections.size >= gw.config.MAX_CONNECTIONS) {
    gw.log.warn({ address: loggableAddress(socket.remoteAddress) }, 'connection limit reached; refused');
    socket.destroy();
    return;
  }
  const c = new C2SConnection(socket, gw, direct);
  gw.connectionOpened(c);
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
  const plain = createServer({ noDelay: true }, (s) => accept(gw, s, false));
  const starttlsPort = await listen(plain, cfg.C2S_PORT, cfg.C2S_HOST);
  let direct: Server | undefined;
  let directTlsPort: number | undefined;
  if (cfg.C2S_DIRECT_TLS_PORT >= 0) {
    direct = createTlsServer({ cert: gw.tls.cert, key: gw.tls.key, ALPNProtocols: ['xmpp-client'], minVersion: 'TLSv1.2' }, (s: TLSSocket) => accept(gw, s, true));
    direct.on('tlsClientError', (e) => gw.log.debug({ err: e.message }, 'TLS handshake failed'));
    directTlsPort = await listen(direct, cfg.C2S_DIRECT_TLS_PORT, cfg.C2S_HOST);
  }
  const ws = await openWebSocket(gw);
  gw.log.info({ host: cfg.C2S_HOST, starttlsPort, directTlsPort, webSocketPort: ws?.port, domain: gw.domain, instance: gw.instanceId }, 'XMPP listeners open');
  return {
    starttlsPort,
    directTlsPort,
    webSocketPort: ws?.port,
    close: async () => {
      await Promise.all([...[plain, direct].filter((s): s is Server => !!s).map((s) => new Promise<void>((r) => s.close(() => r()))), ws?.close()]);
    },
  };
}
