// `npm run bench:offline`: offline messages, store and drain. Starts its own NATS (with
// Parley's bus users), a gateway and the roster and offline services on scratch
// databases; S senders send M messages to U users who are offline, as fast as their
// sockets take them (store rate: until the offline service holds them all); then every
// recipient logs in with initial presence at once (drain rate: until each has all its
// messages, exactly once, in order). Prints the figures and writes
// bench/results/offline.json. Bounded in count and time; measured, never asserted.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OfflineStatsResult, OfflineSubjects } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { waitFor } from '@parley/testing-stack';
import { registerInBand, startStack } from '@parley/testing-xmpp';
import { positiveArg } from './src/args';
import { ScramKeyCache } from './src/scram-client';
import { Samples } from './src/stats';
import { login, LoggedIn } from './src/xmpp-conn';

const DOMAIN = 'localhost';
const TIMEOUT_MS = 180_000;

async function main(): Promise<void> {
  const messages = positiveArg('messages', 10_000);
  const users = positiveArg('users', 100);
  const senders = positiveArg('senders', 5);
  const stack = await startStack('benchoff');
  const cache = new ScramKeyCache();
  const conns: LoggedIn[] = [];
  const bus = await Bus.connect(stack.busOptions('bench-offline'));
  try {
    await stack.startService('roster');
    await stack.startService('offline');
    const gw = await stack.startGateway({ TLS_REQUIRED: 'false', REGISTRATION_LIMIT: '1000000' });
    const password = 'offline bench password';
    const names = { s: Array.from({ length: senders }, (_, i) => `offs${i}`), r: Array.from({ length: users }, (_, i) => `offr${i}`) };
    for (const n of [...names.s, ...names.r]) {
      const reply = await registerInBand(gw.starttlsPort, n, password);
      if (!/type=.result./.test(reply)) throw new Error(`registering ${n}: ${reply.slice(0, 200)}`);
    }
    const connect = (username: string) => login({ port: gw.starttlsPort, domain: DOMAIN, username, password, starttls: false, hash: 'sha256', cache, timeoutMs: 30_000 });

    // ---- store -------------------------------------------------------------
    const from: LoggedIn[] = [];
    for (const n of names.s) from.push(await connect(n));
    conns.push(...from);
    let errors = 0;
    for (const c of from) c.conn.setSink((chunk) => (errors += chunk.split("type='error'").length - 1 + chunk.split('type="error"').length - 1));
    const t0 = performance.now();
    for (let i = 0; i < messages; i++) {
      const c = from[i % senders].conn;
      c.send(`<message to='${names.r[i % users]}@${DOMAIN}' type='chat' id='m${i}'><body>offline ${i}</body></message>`);
      if (c.pendingBytes > 256 * 1024) await new Promise((r) => setTimeout(r, 5));
    }
    const sentMs = performance.now() - t0;
    const stored = await waitFor(
      async () => {
        const s = await bus.request<OfflineStatsResult>(OfflineSubjects.stats, {}, { timeoutMs: 10_000 });
        return s.messages >= messages ? s : undefined;
      },
      { what: `all ${messages} messages stored`, timeoutMs: TIMEOUT_MS, intervalMs: 50 },
    );
    const storeMs = performance.now() - t0;
    console.error(`[offline] ${messages} sent in ${Math.round(sentMs)} ms, stored (${stored.messages}) after ${Math.round(storeMs)} ms; ${errors} errors`);

    // ---- drain -------------------------------------------------------------
    const perUser = new Map<string, number>();
    for (let i = 0; i < messages; i++) perUser.set(names.r[i % users], (perUser.get(names.r[i % users]) ?? 0) + 1);
    const recipients: LoggedIn[] = await Promise.all(names.r.map((n) => connect(n)));
    conns.push(...recipients);
    const firstMs = new Samples();
    const doneMs = new Samples();
    let received = 0;
    let outOfOrder = 0;
    let duplicates = 0;
    const t1 = performance.now();
    await Promise.all(
      recipients.map(
        (r, idx) =>
          new Promise<void>((done, fail) => {
            const want = perUser.get(names.r[idx]) ?? 0;
            let got = 0;
            let last = -1;
            const seen = new Set<number>();
            let rest = '';
            const timer = setTimeout(() => fail(new Error(`${names.r[idx]} got ${got} of ${want}`)), TIMEOUT_MS);
            r.conn.setSink((chunk) => {
              const text = rest + chunk;
              const re = /<message[^>]*\sid=['"]m(\d+)['"]/g;
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
                  if (got === 1) firstMs.add(performance.now() - t1);
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
            r.conn.send('<presence/>');
          }),
      ),
    );
    const drainMs = performance.now() - t1;
    const result = {
      at: new Date().toISOString(),
      messages,
      users,
      senders,
      store: { perSecond: Math.round(messages / (storeMs / 1000)), ms: Math.round(storeMs), errors },
      drain: {
        perSecond: Math.round(messages / (drainMs / 1000)),
        ms: Math.round(drainMs),
        received,
        duplicates,
        outOfOrder,
        firstMessageMs: { p50: Math.round(firstMs.summary().p50), p99: Math.round(firstMs.summary().p99) },
        userDoneMs: { p50: Math.round(doneMs.summary().p50), p99: Math.round(doneMs.summary().p99) },
      },
    };
    console.log(`offline store: ${result.store.perSecond} msg/s (${messages} messages to ${users} offline users from ${senders} senders, ${result.store.ms} ms, ${errors} errors)`);
    console.log(
      `offline drain: ${result.drain.perSecond} msg/s (${received} delivered to ${users} users logging in at once in ${result.drain.ms} ms; first message p50 ${result.drain.firstMessageMs.p50} ms, a user's last p50 ${result.drain.userDoneMs.p50} ms / p99 ${result.drain.userDoneMs.p99} ms; ${duplicates} duplicates, ${outOfOrder} out of order)`,
    );
    const dir = resolve(__dirname, '..', '..', 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'offline.json'), JSON.stringify(result, null, 2));
  } finally {
    for (const c of conns) c.conn.destroy();
    await bus.close();
    await stack.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
