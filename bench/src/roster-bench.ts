// Presence fan-out with a large roster (issue 3): a user with C mutual contacts, N of
// them online; measures (1) login with initial presence until the probe answers of
// all N online contacts arrived, and (2) a presence change until all N contacts
// received it. Subscriptions are set up through the roster service's own commands
// (as the gateway would), so the measured part is pure XMPP traffic.
import { RosterLoginQuery, RosterLoginResult, RosterPresenceCommand, RosterSubjects } from '@parley/contracts';
import type { Bus } from '@parley/nats';
import type { Credentials } from './login-bench';
import type { ScramKeyCache } from './scram-client';
import { Samples, Summary } from './stats';
import { BenchConnection, login } from './xmpp-conn';

/** What the roster run needs. */
export interface RosterBenchOptions {
  port: number;
  domain: string;
  bus: Bus;
  user: Credentials;
  contacts: Credentials[];
  /** Contacts logged in (available) during the measurement. */
  online: number;
  /** Measured logins and broadcasts. */
  iterations: number;
  starttls: boolean;
  cache: ScramKeyCache;
  timeoutMs: number;
  log: (s: string) => void;
}

/** The roster run's figures. */
export interface RosterBenchResult {
  contacts: number;
  online: number;
  iterations: number;
  setupMs: number;
  /** Login (connect → bound) plus initial presence until every online contact's presence arrived. */
  loginWithPresenceMs: Summary;
  /** One presence change until every online contact received it. */
  broadcastMs: Summary;
}

async function pool<T>(items: T[], concurrency: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** Counts occurrences of `needle` in a growing text, chunk by chunk (markers may split across chunks). */
class Counter {
  count = 0;
  private tail = '';
  constructor(private readonly needle: RegExp, private readonly keep = 256) {}
  feed(chunk: string): void {
    const text = this.tail + chunk;
    const re = new RegExp(this.needle.source, 'g');
    let last = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      this.count += 1;
      last = m.index + m[0].length;
    }
    this.tail = text.slice(Math.max(last, text.length - this.keep));
  }
}

function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setImmediate(tick);
    };
    tick();
  });
}

export async function runRosterBench(o: RosterBenchOptions): Promise<RosterBenchResult> {
  const userJid = `${o.user.username}@${o.domain}`;
  const t0 = performance.now();
  // mutual subscriptions, as RFC 6121 §3 flows through the roster service
  await pool(o.contacts, 16, async (c) => {
    const contactJid = `${c.username}@${o.domain}`;
    const steps: RosterPresenceCommand[] = [];
    for (const [a, b] of [[userJid, contactJid], [contactJid, userJid]]) {
      steps.push({ user: a, contact: b, type: 'subscribe', direction: 'outbound' });
      steps.push({ user: b, contact: a, type: 'subscribe', direction: 'inbound' });
      steps.push({ user: b, contact: a, type: 'subscribed', direction: 'outbound' });
      steps.push({ user: a, contact: b, type: 'subscribed', direction: 'inbound' });
    }
    for (const s of steps) await o.bus.request(RosterSubjects.presence, s, { timeoutMs: o.timeoutMs });
  });
  const check = await o.bus.request<RosterLoginResult>(RosterSubjects.login, { user: userJid } satisfies RosterLoginQuery);
  if (check.probe.length !== o.contacts.length || check.broadcast.length !== o.contacts.length) {
    throw new Error(`roster setup incomplete: ${check.probe.length} to probe, ${check.broadcast.length} to broadcast, want ${o.contacts.length}`);
  }
  const setupMs = Math.round(performance.now() - t0);
  o.log(`  ${o.contacts.length} mutual subscriptions in ${setupMs} ms`);

  // the online contacts, each counting presence from the user
  const online: Array<{ conn: BenchConnection; counter: Counter }> = [];
  const fromUser = new RegExp(`<presence[^>]*from=["']${o.user.username}@${o.domain.replace(/\./g, '\\.')}/bench-roster["'][^>]*>`);
  await pool(o.contacts.slice(0, o.online), 16, async (c) => {
    const { conn } = await login({ port: o.port, domain: o.domain, username: c.username, password: c.password, starttls: o.starttls, hash: 'sha1', cache: o.cache, resource: 'r', timeoutMs: o.timeoutMs });
    const counter = new Counter(fromUser);
    conn.setSink((chunk) => counter.feed(chunk));
    conn.send('<presence/>');
    online.push({ conn, counter });
  });
  o.log(`  ${online.length} contacts online`);

  const loginSamples = new Samples();
  const broadcastSamples = new Samples();
  const contactPresence = /<presence[^>]*from=["'][^"']+\/r["'][^>]*>/;
  try {
    for (let i = 0; i < o.iterations; i++) {
      const start = performance.now();
      const { conn } = await login({ port: o.port, domain: o.domain, username: o.user.username, password: o.user.password, starttls: o.starttls, hash: 'sha1', cache: o.cache, resource: 'bench-roster', timeoutMs: o.timeoutMs });
      const probes = new Counter(contactPresence);
      conn.setSink((chunk) => probes.feed(chunk));
      const before = online.map((x) => x.counter.count);
      conn.send('<presence/>');
      await waitUntil(() => probes.count >= o.online, o.timeoutMs, `presence of ${o.online} contacts at login`);
      loginSamples.add(performance.now() - start);
      // everyone saw the initial presence; now a change
      await waitUntil(() => online.every((x, k) => x.counter.count > before[k]), o.timeoutMs, 'initial presence at every contact');
      const mid = online.map((x) => x.counter.count);
      const b0 = performance.now();
      conn.send(`<presence><show>away</show></presence>`);
      await waitUntil(() => online.every((x, k) => x.counter.count > mid[k]), o.timeoutMs, 'the presence change at every contact');
      broadcastSamples.add(performance.now() - b0);
      conn.close();
      // wait for the unavailable broadcast too, so iterations do not overlap
      const end = online.map((x) => x.counter.count);
      await waitUntil(() => online.every((x, k) => x.counter.count > end[k]), o.timeoutMs, 'unavailable at every contact');
    }
  } finally {
    for (const x of online) x.conn.close();
  }
  return { contacts: o.contacts.length, online: o.online, iterations: o.iterations, setupMs, loginWithPresenceMs: loginSamples.summary(), broadcastMs: broadcastSamples.summary() };
}
