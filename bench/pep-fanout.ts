// `npm run bench:pep-fanout`: PEP notification fan-out (issue 13). Starts the built
// roster and profile services and two gateways (dist/) on scratch databases and a
// scratch NATS namespace; one publisher with N mutual contacts (subscriptions made
// through the roster service's own commands), the contacts logged in with real XMPP
// clients, half on each gateway, each with caps asking `nick+notify` (verified once,
// then shared). The publisher publishes a User Nickname (XEP-0172) item per round and
// waits until every contact got its notification; reported: p50/p99 of each
// notification's latency (publish sent → notification received) and of a whole
// round (→ the last contact). Removes everything at the end. Measured, never asserted.
import { positiveArg } from './src/args';
import { ALL_STREAMS, RosterPresenceCommand, RosterSubjects } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { createTestDatabase, testInfra, uniqueNamespace } from '@parley/testing-stack';
import { connectClient, GatewayProcess, registerInBand, ServiceProcess, spawnGateway, spawnService, TestClient, xml } from '@parley/testing-xmpp';
import { capsVer } from '@parley/xep';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Samples } from './src/stats';

const NICK = 'http://jabber.org/protocol/nick';
const PUBSUB = 'http://jabber.org/protocol/pubsub';
const PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const CAPS = 'http://jabber.org/protocol/caps';
const PASSWORD = 'bench password';

async function main(): Promise<void> {
  const contacts = positiveArg('contacts', 100);
  const rounds = positiveArg('rounds', 50);
  const domain = 'localhost';
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'; // the gateways' self-signed development certificate, on loopback
  const infra = await testInfra();
  const namespace = uniqueNamespace('benchpep');
  const dbs = await Promise.all(['gateway', 'roster', 'profile'].map((n) => createTestDatabase(`bench_pep_${n}`)));
  const [gwDb, rosterDb, profileDb] = dbs;
  const common = { NATS_URL: infra.natsUrl, NATS_NAMESPACE: namespace };
  const ready = (rec: Record<string, unknown>) => rec.msg === 'Nest application successfully started';
  const procs: ServiceProcess[] = [];
  const clients: TestClient[] = [];
  const bus = await Bus.connect({ url: infra.natsUrl, name: 'bench-pep', namespace });
  try {
    procs.push(await spawnService('roster', { ...common, ROSTER_DATABASE_URL: rosterDb.url }, ready));
    procs.push(await spawnService('profile', { ...common, PROFILE_DATABASE_URL: profileDb.url }, ready));
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-pep-'));
    const gws: GatewayProcess[] = [];
    for (let i = 0; i < 2; i++) {
      const g = await spawnGateway({ natsUrl: infra.natsUrl, namespace, databaseUrl: gwDb.url, dataDir });
      gws.push(g);
      procs.push(g);
    }
    const publisher = 'pub';
    const names = Array.from({ length: contacts }, (_, i) => `c${i}`);
    for (const u of [publisher, ...names]) {
      const r = await registerInBand(gws[0].starttlsPort, u, PASSWORD);
      if (!/type=.result./.test(r)) throw new Error(`registration of ${u} failed: ${r}`);
    }
    const pj = `${publisher}@${domain}`;
    for (const n of names) {
      const c = `${n}@${domain}`;
      for (const [a, b] of [[pj, c], [c, pj]]) {
        const steps: RosterPresenceCommand[] = [
          { user: a, contact: b, type: 'subscribe', direction: 'outbound' },
          { user: b, contact: a, type: 'subscribe', direction: 'inbound' },
          { user: b, contact: a, type: 'subscribed', direction: 'outbound' },
          { user: a, contact: b, type: 'subscribed', direction: 'inbound' },
        ];
        for (const s of steps) await bus.request(RosterSubjects.presence, s, { timeoutMs: 10_000 });
      }
    }

    // round id → send time and arrival times
    const roundsSeen = new Map<string, { t0: number; got: number[] }>();
    const features = [DISCO_INFO, CAPS, `${NICK}+notify`];
    const identities = [{ category: 'client', type: 'pc', name: 'parley-bench' }];
    const ver = capsVer({ identities, features, forms: [] }, 'sha-1')!;
    const capsNode = 'https://parley.example/bench';
    const loginContact = async (name: string, gw: GatewayProcess) => {
      const c = await connectClient({ port: gw.starttlsPort, username: name, password: PASSWORD, presence: false });
      clients.push(c);
      (c.xmpp as unknown as { iqCallee: { get(ns: string, n: string, h: () => unknown): void } }).iqCallee.get(DISCO_INFO, 'query', () =>
        xml('query', { xmlns: DISCO_INFO, node: `${capsNode}#${ver}` }, ...identities.map((i) => xml('identity', i)), ...features.map((f) => xml('feature', { var: f }))),
      );
      c.xmpp.on('stanza', (s: TestClient['received'][number]) => {
        const id = s.is('message') ? s.getChild('event', PUBSUB_EVENT)?.getChild('items')?.getChild('item')?.attrs.id : undefined;
        const r = id ? roundsSeen.get(id) : undefined;
        if (r) r.got.push(performance.now() - r.t0);
      });
      await c.send(xml('presence', {}, xml('c', { xmlns: CAPS, hash: 'sha-1', node: capsNode, ver })));
      return c;
    };
    for (let i = 0; i < names.length; i++) await loginContact(names[i], gws[i % 2]);
    const pub = await connectClient({ port: gws[0].starttlsPort, username: publisher, password: PASSWORD });
    clients.push(pub);

    const publishRound = async (id: string, timeoutMs: number): Promise<{ got: number[]; iqMs: number }> => {
      const r = { t0: performance.now(), got: [] as number[], iqMs: 0 };
      roundsSeen.set(id, r);
      await pub.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node: NICK }, xml('item', { id }, xml('nick', { xmlns: NICK }, `name ${id}`))))));
      r.iqMs = performance.now() - r.t0;
      const deadline = Date.now() + timeoutMs;
      while (r.got.length < contacts && Date.now() < deadline) await new Promise((res) => setTimeout(res, 2));
      roundsSeen.delete(id);
      return r;
    };
    // warm-up: until every contact's caps are known and every one is notified
    const warmDeadline = Date.now() + 60_000;
    for (let w = 0; ; w++) {
      const r = await publishRound(`warm${w}`, 2000);
      if (r.got.length === contacts) break;
      if (Date.now() > warmDeadline) throw new Error(`only ${r.got.length} of ${contacts} contacts get notifications`);
    }
    const each = new Samples(contacts * rounds);
    const whole = new Samples(rounds);
    const iqs = new Samples(rounds);
    let lost = 0;
    for (let i = 0; i < rounds; i++) {
      const r = await publishRound(`r${i}`, 10_000);
      for (const t of r.got) each.add(t);
      lost += contacts - r.got.length;
      iqs.add(r.iqMs);
      if (r.got.length === contacts) whole.add(Math.max(...r.got));
    }
    const f = (x: number) => x.toFixed(1);
    const e = each.summary();
    const w = whole.summary();
    const q = iqs.summary();
    console.log(
      `PEP fan-out to ${contacts} contacts (2 gateways, ${rounds} publishes): per notification p50=${f(e.p50)} ms p99=${f(e.p99)} ms max=${f(e.max)} ms; ` +
        `whole round (last contact) p50=${f(w.p50)} ms p99=${f(w.p99)} ms; publish IQ result p50=${f(q.p50)} ms p99=${f(q.p99)} ms; lost=${lost}`,
    );
  } finally {
    await Promise.all(clients.map((c) => c.stop()));
    for (const p of procs.reverse()) await p.stop().catch(() => undefined);
    await bus.deleteStreams(ALL_STREAMS).catch(() => undefined);
    await bus.close();
    for (const d of dbs) await d.drop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
