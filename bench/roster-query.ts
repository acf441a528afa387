// `npm run bench:roster-query`: the service request path alone. Starts the built
// roster service (dist/) on a scratch database and NATS namespace, gives one user
// C mutual contacts through the service's own subscription commands, then sends the
// login query (`roster.qry.login`, what every gateway asks at each login) open-loop at
// a fixed rate for a fixed time and prints p50/p90/p99 of the round trip. Removes its
// database, streams and process at the end. Measured, never asserted.
import { positiveArg } from './src/args';
import { ALL_STREAMS, RosterLoginQuery, RosterLoginResult, RosterPresenceCommand, RosterSubjects } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { createTestDatabase, testInfra, uniqueNamespace } from '@parley/testing-stack';
import { spawnService } from '@parley/testing-xmpp';
import { Samples } from './src/stats';

async function main(): Promise<void> {
  const rate = positiveArg('rate', 500);
  const seconds = positiveArg('seconds', 20);
  const contacts = positiveArg('contacts', 50);
  const domain = 'localhost';
  const infra = await testInfra();
  const namespace = uniqueNamespace('benchrq');
  const db = await createTestDatabase('bench_rq');
  const service = await spawnService('roster', { NATS_URL: infra.natsUrl, NATS_NAMESPACE: namespace, ROSTER_DATABASE_URL: db.url }, (rec) => rec.msg === 'Nest application successfully started' || rec.msg === 'ready');
  const bus = await Bus.connect({ url: infra.natsUrl, name: 'bench-rq', namespace });
  try {
    const user = `u@${domain}`;
    for (let i = 0; i < contacts; i++) {
      const c = `c${i}@${domain}`;
      for (const [a, b] of [[user, c], [c, user]]) {
        const steps: RosterPresenceCommand[] = [
          { user: a, contact: b, type: 'subscribe', direction: 'outbound' },
          { user: b, contact: a, type: 'subscribe', direction: 'inbound' },
          { user: b, contact: a, type: 'subscribed', direction: 'outbound' },
          { user: a, contact: b, type: 'subscribed', direction: 'inbound' },
        ];
        for (const s of steps) await bus.request(RosterSubjects.presence, s, { timeoutMs: 10_000 });
      }
    }
    const q: RosterLoginQuery = { user };
    const check = await bus.request<RosterLoginResult>(RosterSubjects.login, q);
    if (check.probe.length !== contacts) throw new Error(`setup incomplete: ${check.probe.length} contacts`);

    const run = async (secs: number): Promise<{ samples: Samples; errors: number }> => {
      const samples = new Samples(rate * secs);
      let errors = 0;
      const pending: Promise<void>[] = [];
      const t0 = performance.now();
      const total = Math.round(rate * secs);
      for (let i = 0; i < total; i++) {
        const due = t0 + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        // latency from the scheduled send time (open loop: no coordinated omission)
        pending.push(
          bus.request<RosterLoginResult>(RosterSubjects.login, q, { timeoutMs: 5000 }).then(
            () => samples.add(performance.now() - due),
            () => {
              errors += 1;
            },
          ),
        );
      }
      await Promise.all(pending);
      return { samples, errors };
    };
    await run(Math.min(3, seconds)); // warm-up
    const { samples, errors } = await run(seconds);
    const s = samples.summary();
    const f = (x: number) => x.toFixed(2);
    console.log(`roster.qry.login ${contacts} contacts, ${rate}/s for ${seconds} s: n=${s.count} errors=${errors} p50=${f(s.p50)} ms p90=${f(s.p90)} ms p99=${f(s.p99)} ms max=${f(s.max)} ms`);
  } finally {
    await bus.deleteStreams(ALL_STREAMS).catch(() => undefined);
    await bus.close();
    await service.stop();
    await db.drop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
