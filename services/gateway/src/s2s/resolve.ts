// Where a remote domain's server listens (RFC 6120 §3.2, XEP-0368): S2S_STATIC_ROUTES
// first, then DNS SRV `_xmpps-server._tcp.<domain>` (direct TLS) and
// `_xmpp-server._tcp.<domain>` (STARTTLS) together, then the domain itself (its A/AAAA
// records) on 5269. An IP literal is its own address.
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';

export interface Target {
  host: string;
  port: number;
  /** Direct TLS (XEP-0368): TLS from the first byte, no STARTTLS. */
  tls?: boolean;
}

type Srv = { name: string; port: number; priority: number; weight: number };

/** Parses `domain=host:port` (STARTTLS) and `domain=tls:host:port` (direct TLS) entries (S2S_STATIC_ROUTES). Throws on a bad entry. */
export function parseStaticRoutes(entries: string[]): Map<string, Target> {
  const out = new Map<string, Target>();
  for (const e of entries) {
    const m = /^([^=\s]+)=(tls:)?(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(e.trim());
    if (!m || Number(m[4]) < 1 || Number(m[4]) > 65535) throw new Error(`invalid configuration:\n  - S2S_STATIC_ROUTES: "${e}" is not domain=host:port or domain=tls:host:port`);
    out.set(m[1].toLowerCase(), {
      host: m[3].replace(/^\[|\]$/g, ''),
      port: Number(m[4]),
      ...(m[2] ? { tls: true } : {}),
    });
  }
  return out;
}

/** Picks the records of one priority in RFC 2782's weighted random order. */
function weighted(group: Srv[], tls: boolean, random: () => number): Target[] {
  const left = [...group];
  const out: Target[] = [];
  while (left.length) {
    const total = left.reduce((s, r) => s + r.weight, 0);
    let pick = random() * total;
    let i = left.findIndex((r) => (pick -= r.weight) < 0);
    if (i < 0) i = 0;
    const [r] = left.splice(i, 1);
    out.push({ host: r.name, port: r.port, ...(tls ? { tls: true } : {}) });
  }
  return out;
}

/**
 * Orders SRV records as RFC 2782 says (by priority, then randomly weighted), the
 * direct-TLS ones (`xmpps`, XEP-0368) and the STARTTLS ones mixed by priority; at an
 * equal priority the direct-TLS ones come first (XEP-0368 lets the initiator prefer one
 * kind: direct TLS saves round trips and cannot be stripped).
 */
export function orderSrv(records: Srv[], random = Math.random, direct: Srv[] = []): Target[] {
  const priorities = [...new Set([...records, ...direct].map((r) => r.priority))].sort((a, b) => a - b);
  const out: Target[] = [];
  for (const p of priorities) {
    out.push(
      ...weighted(
        direct.filter((r) => r.priority === p),
        true,
        random,
      ),
    );
    out.push(
      ...weighted(
        records.filter((r) => r.priority === p),
        false,
        random,
      ),
    );
  }
  return out;
}

/** A lone `.` target: the service is decidedly not offered (RFC 2782). */
const noService = (srv: Srv[]) => srv.length === 1 && (srv[0].name === '' || srv[0].name === '.');

/**
 * The addresses to try for `domain`, in order. Both SRV names are asked at once. A lone
 * `.` means that service is not offered; the other is still used, but when SRV records
 * exist at all there is no fallback to the domain's own address (XEP-0368 §5).
 */
export async function resolveServer(domain: string, routes: Map<string, Target>, lookupSrv: (name: string) => Promise<Srv[]> = (n) => dns.resolveSrv(n)): Promise<Target[]> {
  const fixed = routes.get(domain);
  if (fixed) return [fixed];
  const bare = domain.replace(/^\[|\]$/g, '');
  if (isIP(bare)) return [{ host: bare, port: 5269 }];
  const ask = (name: string) => lookupSrv(name).catch(() => [] as Srv[]); // no records (or no answer)
  const [direct, starttls] = await Promise.all([ask(`_xmpps-server._tcp.${domain}`), ask(`_xmpp-server._tcp.${domain}`)]);
  if (!direct.length && !starttls.length) return [{ host: domain, port: 5269 }];
  return orderSrv(noService(starttls) ? [] : starttls, Math.random, noService(direct) ? [] : direct);
}
