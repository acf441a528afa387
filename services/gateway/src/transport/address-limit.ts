// Per-address connection caps: how many client connections one source address may hold
// at once. The address is the real client's (PROXY protocol, trusted X-Forwarded-For),
// counted in memory only; an IPv6 client counts per /64, the block one subscriber gets.
import { isIP } from 'node:net';
import { loggableAddress } from '@parley/runtime';
import { StreamError } from '@parley/stanza';
import type { Logger } from 'pino';
import type { C2SConnection } from '../stream/c2s';

/** An address as allowlists name it: IPv4 clients on a dual-stack socket show as ::ffff:a.b.c.d. */
export function plainAddress(a: string): string {
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

/** The /64 prefix of an IPv6 address (`2001:db8:0:1::/64`), or undefined when `a` is not IPv6. */
export function ipv6Prefix64(a: string): string | undefined {
  const addr = a.replace(/%.*$/, ''); // zone index
  if (isIP(addr) !== 6) return undefined;
  const halves = addr.split('::');
  const groups = (s: string | undefined) => (s ? s.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const all = halves.length === 2 ? [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail] : head;
  return `${all
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** What one client address counts against. */
export function addressKey(address: string): string {
  const a = plainAddress(address);
  return ipv6Prefix64(a) ?? a;
}

/** Open connections per client address, with a cap; allowlisted addresses are never capped (nor counted). */
export class AddressLimit {
  private readonly open = new Map<string, number>();
  private readonly exempt: Set<string>;

  constructor(
    private readonly max: number,
    allowlist: readonly string[],
  ) {
    this.exempt = new Set(allowlist.map(plainAddress));
  }

  /** Takes a slot for `address`: false (nothing taken) when it already holds `max` connections. */
  acquire(address: string): boolean {
    if (this.exempt.has(plainAddress(address))) return true;
    const key = addressKey(address);
    const n = this.open.get(key) ?? 0;
    if (n >= this.max) return false;
    this.open.set(key, n + 1);
    return true;
  }

  /** Gives back a slot taken by {@link acquire}. */
  release(address: string): void {
    if (this.exempt.has(plainAddress(address))) return;
    const key = addressKey(address);
    const n = this.open.get(key) ?? 0;
    if (n <= 1) this.open.delete(key);
    else this.open.set(key, n - 1);
  }

  /** Addresses currently holding connections (for tests and metrics). */
  get size(): number {
    return this.open.size;
  }
}

/**
 * One connection too many from an address (C2S_MAX_CONNECTIONS_PER_ADDRESS): a local
 * policy, so RFC 6120 §4.9.3.14 `policy-violation` (not `connection-timeout`, which is
 * about an idle peer, nor `resource-constraint`, which says the server itself is short).
 */
export function refuseBusyAddress(gw: { log: Logger }, c: C2SConnection): void {
  gw.log.info({ address: loggableAddress(c.address) }, 'too many connections from one address; refused');
  c.refuse(new StreamError('policy-violation', 'too many connections from your address'));
}
