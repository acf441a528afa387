// The fault-injection run: two gateways behind a loopback balancer, the roster,
// offline and archive services, a private NATS and (when the machine has the binaries)
// a private PostgreSQL. Steady one-to-one chat flows between pairs of users on both
// gateways; half of the recipients keep going offline and coming back (offline
// traffic), some have opted into the archive. Each fault in turn hits the system
// while the chat goes on; afterwards every recipient logs in once more, and every
// message is accounted for: delivered, stored offline (delivered at that later login),
// bounced to its sender with an error, lost, duplicated.
// Bounded: a fixed number of phases of fixed length, fixed rates, and a final drain
// with a deadline. Loopback only.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerInBand, startStack, E2EStack, GatewayProcess, ServiceName, xml } from '@parley/testing-xmpp';
import { waitFor } from '@parley/testing-stack';
import { account, ChaosClient, ChaosRow } from './traffic';
import { startBalancer } from './balancer';
import { PrivatePostgres, startPrivatePostgres } from './postgres';

export interface ChaosOptions {
  /** Pairs of users (sender, recipient). */
  pairs: number;
  /** Messages per second, all senders together. */
  rate: number;
  /** Length of each phase (the fault hits a third of the way in). */
  phaseMs: number;
  /** Faults to run (all when empty). */
  only?: string[];
  log(line: string): void;
}

export interface ChaosResult {
  rows: ChaosRow[];
  /** Faults that could not run here, and why. */
  skipped: Array<{ fault: string; why: string }>;
  options: Omit<ChaosOptions, 'log'>;
}

const PASSWORD = 'chaos password 1';
/** Short enough that a session nobody resumes ends within the run. */
const SM_RESUME_TIMEOUT_MS = 8000;
const GATEWAY_ENV = { SM_RESUME_TIMEOUT: `${SM_RESUME_TIMEOUT_MS}ms`, ROUTE_HEARTBEAT: '500ms', ROUTE_PEER_TIMEOUT: '3s' };

interface Fault {
  name: string;
  /** Why it cannot run here, if it cannot. */
  unavailable?: string;
  inject(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'; // the gateways' self-signed development certificate, loopback only
  let pg: PrivatePostgres | undefined;
  let pgMissing: string | undefined;
  const privatePg = await startPrivatePostgres().catch((e: Error) => e.message);
  if (typeof privatePg === 'string') pgMissing = privatePg;
  else {
    pg = privatePg;
    process.env.DATABASE_URL = pg.url; // every database of the run lives on the private server
  }
  const stack: E2EStack = await startStack(`chaos_${randomBytes(3).toString('hex')}`);
  const clients: ChaosClient[] = [];
  let balancer: Awaited<ReturnType<typeof startBalancer>> | undefined;
  try {
    const services: ServiceName[] = ['roster', 'offline', 'archive'];
    for (const s of services) await stack.startService(s);
    const gateways: Array<GatewayProcess | undefined> = [await stack.startGateway(GATEWAY_ENV), await stack.startGateway(GATEWAY_ENV)];
    balancer = await startBalancer(() => gateways.filter((g): g is GatewayProcess => !!g && g.proc.exitCode === null && g.proc.signalCode === null).map((g) => g.starttlsPort));
    const lb = balancer;

    const restartGateway = async (i: number, how: 'kill' | 'stop') => {
      const g = gateways[i]!;
      gateways[i] = undefined;
      await (how === 'kill' ? g.kill() : g.stop());
      await sleep(1000);
      gateways[i] = await stack.startGateway(GATEWAY_ENV);
    };
    const restartService = async (name: ServiceName) => {
      await stack.services.get(name)!.kill();
      await sleep(2000);
      await stack.startService(name);
    };
    const faults: Fault[] = [
      { name: 'none', inject: async () => undefined },
      { name: 'gateway SIGKILL', inject: () => restartGateway(1, 'kill') },
      { name: 'gateway SIGTERM', inject: () => restartGateway(0, 'stop') },
      { name: 'roster SIGKILL', inject: () => restartService('roster') },
      { name: 'offline SIGKILL', inject: () => restartService('offline') },
      { name: 'archive SIGKILL', inject: () => restartService('archive') },
      { name: 'NATS SIGKILL', inject: () => stack.nats.crashAndRestart(2000) },
      { name: 'Postgres SIGKILL', unavailable: pgMissing, inject: () => pg!.crashAndRestart(2000) },
      { name: 'connections cut', inject: async () => void lb.cutAll() },
    ];

    // ---- users ------------------------------------------------------------
    const regPort = () => gateways.find((g) => g && g.proc.exitCode === null)!.starttlsPort;
    const tag = randomBytes(3).toString('hex');
    const senders: ChaosClient[] = [];
    const receivers: ChaosClient[] = [];
    for (let i = 0; i < o.pairs; i++) {
      for (const [role, list] of [
        ['s', senders],
        ['r', receivers],
      ] as const) {
        const name = `chaos${tag}${role}${i}`;
        const answer = await registerInBand(regPort(), name, PASSWORD);
        if (!/type=.result./.test(answer)) throw new Error(`registering ${name} failed: ${answer}`);
        const c = new ChaosClient(name, PASSWORD, () => lb.port, o.log);
        list.push(c);
        clients.push(c);
      }
    }
    await Promise.all(clients.map((c) => c.start()));
    // a third of the recipients opt into the archive (XEP-0313 preferences)
    for (let i = 0; i < receivers.length; i += 3) await receivers[i].iq(xml('iq', { type: 'set' }, xml('prefs', { xmlns: 'urn:xmpp:mam:2', default: 'always' })));
    o.log(`chaos: ${o.pairs} pairs through the balancer; faults: ${faults.map((f) => f.name).join(', ')}`);

    // ---- phases -----------------------------------------------------------
    const rows: ChaosRow[] = [];
    const skipped: ChaosResult['skipped'] = [];
    const flappers = receivers.filter((_, i) => i % 2 === 1);
    let phaseIndex = 0;
    for (const fault of faults) {
      if (o.only?.length && !o.only.includes(fault.name)) continue;
      if (fault.unavailable) {
        skipped.push({ fault: fault.name, why: fault.unavailable });
        continue;
      }
      const phase = phaseIndex++;
      const ids: string[] = [];
      let seq = 0;
      const started = Date.now();
      const interval = 1000 / o.rate;
      let faultDone: Promise<void> | undefined;
      const flapping = new Set<ChaosClient>();
      while (Date.now() - started < o.phaseMs) {
        const elapsed = Date.now() - started;
        if (!faultDone && elapsed > o.phaseMs / 3) {
          o.log(`chaos: ${fault.name}`);
          faultDone = fault.inject().catch((e: Error) => o.log(`chaos: injecting ${fault.name} failed: ${e.message}`));
        }
        // a recipient goes offline for a while and comes back (at most one at a time)
        if (flappers.length && seq % Math.max(1, Math.round(o.rate / 2)) === 0 && flapping.size === 0) {
          const f = flappers[(seq + phase) % flappers.length];
          flapping.add(f);
          void (async () => {
            await f.stop();
            await sleep(1500);
            await f.start().catch((e: Error) => o.log(`${f.username}: login failed (${e.message})`));
            flapping.delete(f);
          })();
        }
        const i = seq % o.pairs;
        const id = `c:${phase}:${i}:${seq}`;
        if (senders[i].send(`${receivers[i].username}@localhost`, id)) ids.push(id);
        seq += 1;
        await sleep(interval);
      }
      await faultDone;
      await waitFor(() => flapping.size === 0, { what: 'recipients back online', timeoutMs: 60_000 });
      rows.push({ fault: fault.name, sent: 0, delivered: 0, stored: 0, bounced: 0, lost: 0, duplicated: 0, unconfirmed: 0, untold: 0, ids } as ChaosRow & { ids: string[] });
    }

    // ---- drain --------------------------------------------------------------
    // Sessions nobody resumed end after SM_RESUME_TIMEOUT (what they held goes offline);
    // then every recipient logs in afresh and takes what offline storage kept.
    o.log('chaos: draining');
    await waitFor(() => clients.every((c) => c.online), { what: 'every client online', timeoutMs: 60_000 }).catch(() => o.log('chaos: some clients stayed offline'));
    await sleep(SM_RESUME_TIMEOUT_MS + 2000);
    for (const r of receivers) await r.stop();
    await sleep(2000);
    await Promise.all(receivers.map((r) => r.start()));
    const quietSince = () => Math.max(...receivers.map((r) => r.lastArrival), Date.now() - 60_000);
    await waitFor(() => Date.now() - quietSince() > 5000, { what: 'no more arrivals', timeoutMs: 90_000, intervalMs: 250 });
    o.log(`chaos: sessions resumed ${clients.reduce((n, c) => n + c.resumed, 0)}, bound afresh ${clients.reduce((n, c) => n + c.bound, 0)} (first logins included)`);
    if (process.env.CHAOS_LOGS) {
      const dups = receivers.flatMap((r) => [...r.arrivals].filter(([, a]) => a.live + a.delayed > 1).map(([id, a]) => `${r.username} ${id} live=${a.live} delayed=${a.delayed}`));
      mkdirSync(process.env.CHAOS_LOGS, { recursive: true });
      writeFileSync(join(process.env.CHAOS_LOGS, 'duplicates.txt'), dups.join('\n'));
    }
    const result = rows.map((r) => account(r.fault, (r as ChaosRow & { ids: string[] }).ids, senders, receivers));
    return { rows: result, skipped, options: { pairs: o.pairs, rate: o.rate, phaseMs: o.phaseMs, only: o.only } };
  } finally {
    // CHAOS_LOGS=<dir>: every gateway's log lines (and duplicates.txt), for looking into a run
    if (process.env.CHAOS_LOGS) {
      mkdirSync(process.env.CHAOS_LOGS, { recursive: true });
      stack.gateways.forEach((g, i) => writeFileSync(join(process.env.CHAOS_LOGS!, `gateway-${i}.log`), g.logs.join('\n')));
    }
    await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
    await balancer?.close();
    await stack.stop().catch((e: Error) => o.log(`chaos: stopping the stack: ${e.message}`));
    await pg?.stop();
  }
}
