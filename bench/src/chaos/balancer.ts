// A loopback TCP load balancer in front of the gateways, as in a deployment: each new
// connection goes to the next gateway that accepts it (round robin), so a client that
// reconnects after a cut or a crash usually lands on another gateway. `cutAll` drops
// every client connection at once (a network blip).
import { AddressInfo, createConnection, createServer, Server, Socket } from 'node:net';

export interface Balancer {
  port: number;
  /** Drops every open client connection (both directions, no goodbye). */
  cutAll(): number;
  close(): Promise<void>;
}

export async function startBalancer(backends: () => number[]): Promise<Balancer> {
  const open = new Set<Socket>();
  let next = 0;
  const server: Server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    client.pause();
    const ports = backends();
    const tryFrom = (attempt: number) => {
      if (attempt >= ports.length || client.destroyed) return client.destroy();
      const port = ports[(next + attempt) % ports.length];
      const upstream = createConnection({ port, host: '127.0.0.1' });
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        next = (next + attempt + 1) % Math.max(ports.length, 1);
        open.add(upstream);
        upstream.on('close', () => {
          open.delete(upstream);
          client.destroy();
        });
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.on('error', () => {
        if (!connected) tryFrom(attempt + 1);
        else client.destroy();
      });
    };
    tryFrom(0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    cutAll: () => {
      const n = open.size;
      for (const s of [...open]) s.destroy();
      return n;
    },
    close: async () => {
      for (const s of [...open]) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
