// Where a remote domain's server listens (RFC 6120 §3.2): S2S_STATIC_ROUTES first, then
// DNS SRV `_xmpp-server._tcp.<domain>` (priority order, weighted within a priority),
// then the domain itself (its A/AAAA records) on 5269. An IP literal is its own address.
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';

export interface Target {
  host: string;
  port: number;
}

/** Parses `domain=host:port` entries (S2S_STATIC_ROUTES). Throws on a bad entry. */
export function parseStaticRoutes(entries: string[]): Map<string, Target> {
  const out = new Map<string, Target>();
  for (const e of entries) {
    const m = /^([^=\s]+)=(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(e.trim());
    if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535) throw new Error(`invalid configuration:\n  - S2S_STATIC_ROUTES: "${e}" is not domain=host:port`);
    out.set(m[1].toLowerCase(), { host: m[2].replace(/^\[|\]$/g, ''), port: Number(m[3]) });
  }
  return out;
}

/** Orders SRV records as RFC 2782 says: by priority, then randomly weighted. */
export function orderSrv(records: Array<{ name: string; port: number; priority: number; weight: number }>, random = Math.random): Target[] {
  const byPriority = new Map<number, typeof records>();
  for (const r of records) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r]);
  const out: Target[] = [];
  for (const p of [...byPriority.keys()].sort((a, b) => a - b)) {
    const group = [...byPriority.get(p)!];
    while (group.length) {
      const total = group.reduce((s, r) => s + r.weight, 0);
      let pick = random() * total;
      let i = group.findIndex((r) => (pick -= r.weight) < 0);
      if (i < 0) i = 0;
      const [r] = group.splice(i, 1);
      out.push({ host: r.name, port: r.port });
    }
  }
  return out;
}

/** The addresses to try for `domain`, in order. A single `.` SRV target means "no service" (RFC 2782): none. */
export async function resolveServer(domain: string, routes: Map<string, Target>, lookupSrv: (name: string) => Promise<Array<{ name: string; port: number; priority: number; weight: number }>> = (n) => dns.resolveSrv(n)): Promise<Target[]> {
  const fixed = routes.get(domain);
  if (fixed) return [fixed];
  const bare = domain.replace(/^\[|\]$/g, '');
  if (isIP(bare)) return [{ host: bare, port: 5269 }];
  try {
    const srv = await lookupSrv(`_xmpp-server._tcp.${domain}`);
    if (srv.length === 1 && (srv[0].name === '' || srv[0].name === '.')) return [];
    if (srv.length) return orderSrv(srv);
  } catch {
    // no SRV records (or no answer): fall back to the domain's own addresses
  }
  return [{ host: domain, port: 5269 }];
}
