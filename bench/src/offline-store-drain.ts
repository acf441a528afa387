// Offline messages against any server (the comparison mode): S senders send M chat
// messages to the bare JIDs of U users who are offline, as fast as their sockets take
// them (store: until the server says it holds them all, see `stored`); then every
// recipient logs in and sends initial presence at once (drain: until each has all its
// messages; duplicates and order are counted). Bounded in count and time.
import { OfflineNotices } from '@parley/contracts';
import type { Bus } from '@parley/nats';
import { waitFor } from '@parley/testing-stack';
import type { Credentials } from './login-bench';
import { ScramKeyCache } from './scram-client';
import { Samples } from './stats';
import { login, LoggedIn } from './xmpp-conn';

export interface OfflineRunOptions {
  port: number;
  domain: string;
  senders: Credentials[];
  recipients: Credentials[];
  messages: number;
  cache: ScramKeyCache;
  /**
   * Resolves once the server holds every message sent (given the senders' sessions).
   * Parley: the offline service's count; a server that stores in the sender's session
   * order: a ping round trip on every sender's stream.
   */
  stored: (senders: LoggedIn[], messages: number) => Promise<void>;
  timeoutMs: number;
}

export interface OfflineRunResult {
  messages: number;
  users: number;
  senders: number;
  storeMs: number;
  storePerSecond: number;
  errors: number;
  drainMs: number;
  drainPerSecond: number;
  received: number;
  duplicates: number;
  outOfOrder: number;
  userDoneMsP50: number;
  userDoneMsP99: number;
}

const ERROR_RE = /<message[^>]*\stype=['"]error['"]/g;
const ID_RE = /<message[^>]*\sid=['"]off(\d+)['"]/g;

/** Resolves when every sender's ping is answered: the server handled (and stored) all it sent before. */
export function pingEachSender(domain: string, timeoutMs: number) {
  return (senders: LoggedIn[]): Promise<void> =>
    Promise.all(
      senders.map(
        (s, i) =>
          new Promise<void>((done, fail) => {
            const id = `offsync${i}`;
            let rest = '';
            const timer = setTimeout(() => fail(new Error(`no answer to the ping of sender ${i} within ${timeoutMs} ms`)), timeoutMs);
            s.conn.setSink((chunk) => {
              const text = rest + chunk;
              if (text.includes(`id='${id}'`) || text.includes(`id="${id}"`)) {
                clearTimeout(timer);
                done();
              }
              rest = text.slice(-64);
            });
            s.conn.send(`<iq type='get' id='${id}' to='${domain}'><ping xmlns='urn:xmpp:ping'/></iq>`);
          }),
      ),
    ).then(() => undefined);
}

export async function runOfflineStoreDrain(o: OfflineRunOptions): Promise<OfflineRunResult> {
  const conns: LoggedIn[] = [];
  const connect = (u: Credentials) => login({ port: o.port, domain: o.domain, username: u.username, password: u.password, starttls: false, hash: 'sha1', cache: o.cache, timeoutMs: 30_000 });
  try {
    // ---- store
    const from: LoggedIn[] = [];
    for (const u of o.senders) from.push(await connect(u));
    conns.push(...from);
    let errors = 0;
    for (const c of from) c.conn.setSink((chunk) => (errors += (chunk.match(ERROR_RE) ?? []).length));
    const t0 = performance.now();
    const perUser = new Array<number>(o.recipients.length).fill(0);
    for (let i = 0; i < o.messages; i++) {
      const c = from[i % from.length].conn;
      const r = i % o.recipients.length;
      perUser[r] += 1;
      c.send(`<message to='${o.recipients[r].username}@${o.domain}' type='chat' id='off${i}'><body>offline ${i}</body></message>`);
      if (c.pendingBytes > 256 * 1024) await new Promise((res) => setTimeout(res, 5));
      if (performance.now() - t0 > o.timeoutMs) throw new Error(`sending ${o.messages} messages took over ${o.timeoutMs} ms`);
    }
    await o.stored(from, o.messages);
    const storeMs = performance.now() - t0;

    // ---- drain
    const recipients: LoggedIn[] = [];
    for (let i = 0; i < o.recipients.length; i += 25) recipients.push(...(await Promise.all(o.recipients.slice(i, i + 25).map(connect))));
    conns.push(...recipients);
    const doneMs = new Samples();
    let received = 0;
    let duplicates = 0;
    let outOfOrder = 0;
    const t1 = performance.now();
    await Promise.all(
      recipients.map(
        (r, idx) =>
          new Promise<void>((done, fail) => {
            const want = perUser[idx];
            let got = 0;
            let last = -1;
            const seen = new Set<number>();
            let rest = '';
            const timer = setTimeout(() => fail(new Error(`${o.recipients[idx].username} got ${got} of ${want} offline messages within ${o.timeoutMs} ms`)), o.timeoutMs);
            r.conn.setSink((chunk) => {
              const text = rest + chunk;
              const re = new RegExp(ID_RE.source, 'g');
              let m: RegExpExecArray | null;
              let end = 0;
              while ((m = re.exec(text))) {
                const n = Number(m[1]);
                if (seen.has(n)) duplicates += 1;
                else {
                  seen.add(n);
                  if (n < last) outOfOrder += 1;
                  last = n;
                  got += 1;
                  received += 1;
                }
                end = re.lastIndex;
              }
              rest = text.slice(Math.max(end, text.length - 512));
              if (got >= want) {
                clearTimeout(timer);
                doneMs.add(performance.now() - t1);
                done();
              }
            });
            if (want === 0) {
              clearTimeout(timer);
              done();
            } else r.conn.send('<presence/>');
          }),
      ),
    );
    const drainMs = performance.now() - t1;
    const s = doneMs.summary();
    return {
      messages: o.messages,
      users: o.recipients.length,
      senders: o.senders.length,
      storeMs: Math.round(storeMs),
      storePerSecond: Math.round(o.messages / (storeMs / 1000)),
      errors,
      drainMs: Math.round(drainMs),
      drainPerSecond: Math.round(received / (drainMs / 1000)),
      received,
      duplicates,
      outOfOrder,
      userDoneMsP50: Math.round(s.p50),
      userDoneMsP99: Math.round(s.p99),
    };
  } finally {
    for (const c of conns) c.conn.destroy();
  }
}

/**
 * Parley's "the server holds them all": the offline service announces each commit's
 * recipients (`offline.ntf.stored`, right after the commit), and each announcement
 * makes this read the service's count at once, so the wait ends as soon as the last
 * commit is known, without a polling interval's lag. Announcements are best effort
 * (core NATS): the count is also read every 200 ms.
 */
export function offlineCommitWatch(bus: Bus, count: () => Promise<number>, timeoutMs: number) {
  let baseline = 0;
  let sub: { unsubscribe(): void } | undefined;
  let check: (() => void) | undefined;
  return {
    /** Before the messages are sent. */
    async start(): Promise<void> {
      baseline = await count();
      sub = bus.subscribe<unknown>(OfflineNotices.stored, () => check?.());
      await bus.flush();
    },
    async stored(messages: number): Promise<void> {
      let done = false;
      try {
        const byNotices = new Promise<void>((resolve, reject) => {
          let running = false;
          let again = false;
          check = () => {
            if (running) return void (again = true);
            running = true;
            count().then(
              (n) => {
                running = false;
                if (n >= baseline + messages) resolve();
                else if (again) {
                  again = false;
                  check?.();
                }
              },
              (e: unknown) => {
                running = false;
                reject(e);
              },
            );
          };
          check();
        });
        const byPolling = waitFor(async () => (done || (await count()) >= baseline + messages ? true : undefined), { what: `${messages} offline messages stored`, timeoutMs, intervalMs: 200 });
        byPolling.catch(() => undefined);
        await Promise.race([byNotices, byPolling]);
        // the polling stops at its next turn (finally); its sleep is not waited for
      } finally {
        done = true;
        sub?.unsubscribe();
        check = undefined;
      }
    },
  };
}
