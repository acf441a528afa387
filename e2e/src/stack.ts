// Helpers for end-to-end suites: the whole stack (startStack, from @parley/testing-xmpp,
// shared with the fault-injection run), fresh users per suite, mutual subscriptions.
import { waitFor } from '@parley/testing-stack';
import { connectClient, GatewayProcess, registerInBand, TestClient, xml } from '@parley/testing-xmpp';

export { startStack } from '@parley/testing-xmpp';
export type { E2EStack, ServiceName } from '@parley/testing-xmpp';

/**
 * Users for one suite: `accounts` registers fresh ones per call (names suffixed so that
 * tests never share an account, typed as given — mixed case exercises JID preparation),
 * `login` connects a real client and remembers it in `clients` for the suite's afterEach.
 */
export function e2eUsers(password: string, registerPort: () => number) {
  let seq = 0;
  const clients: TestClient[] = [];
  return {
    clients,
    accounts: async (...names: string[]): Promise<string[]> => {
      seq += 1;
      const out = names.map((n) => `${n}${seq}`);
      for (const u of out) expect(await registerInBand(registerPort(), u, password)).toMatch(/type=.result./);
      return out;
    },
    jid: (username: string) => `${username.toLowerCase()}@localhost`,
    login: async (gw: GatewayProcess, username: string, extra: Partial<Parameters<typeof connectClient>[0]> = {}): Promise<TestClient> => {
      const c = await connectClient({ port: gw.starttlsPort, username, password, ...extra });
      clients.push(c);
      return c;
    },
  };
}

/** `a` and `b` subscribe to each other (RFC 6121 §3), waiting until both rosters say `both`. */
export async function befriend(a: TestClient, b: TestClient, timeoutMs = 30_000): Promise<void> {
  const aj = a.jid.split('/')[0];
  const bj = b.jid.split('/')[0];
  await a.send(xml('presence', { to: bj, type: 'subscribe' }));
  await b.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribe' && s.attrs.from === aj, 'subscribe', timeoutMs);
  await b.send(xml('presence', { to: aj, type: 'subscribed' }));
  await b.send(xml('presence', { to: aj, type: 'subscribe' }));
  await a.waitFor((s) => s.is('presence') && s.attrs.type === 'subscribe' && s.attrs.from === bj, 'subscribe back', timeoutMs);
  await a.send(xml('presence', { to: bj, type: 'subscribed' }));
  const subscription = async (c: TestClient, of: string) =>
    (await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })), timeoutMs)).getChildren('item').find((i) => i.attrs.jid === of)?.attrs.subscription;
  await waitFor(async () => (await subscription(a, bj)) === 'both' && (await subscription(b, aj)) === 'both', { what: 'mutual subscription', timeoutMs });
}
