// `npm run bench:s2s`: messages per second over one server-to-server link (issue 16).
// Two Parley deployments, each its own stack (NATS with Parley's bus users, scratch
// databases, the roster service and one gateway) serving its own domain, federated with
// each other (STARTTLS, Server Dialback with each side's own secret, S2S_STATIC_ROUTES on
// loopback). N senders log in to domain A, N receivers to domain B (c2s without TLS: the
// s2s link is what is measured); every message goes over gateway A's one outbound link to
// B and B's one inbound stream. The offered rate rises step by step (the ladder and the
// measurements of the message benchmark, bench/src/message-bench.ts): latency from the
// send time carried in each message id, loss as sent − received after a drain window.
// Prints a table and writes bench/results/s2s.json. With --peer=ejabberd the receiving
// side is Debian's ejabberd 23.01 instead (started by @parley/testing-peers as in the
// comparison mode, federation on; Parley under an IP-literal domain on 5269, as ejabberd
// finds it): bench/results/s2s-ejabberd.json. Bounded in count and time; measured, never
// asserted.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, randomLoopback, startEjabberd } from '@parley/testing-peers';
import { E2EStack, GatewayProcess, registerInBand, startStack } from '@parley/testing-xmpp';
import { argValue, positiveArg } from './src/args';
import type { Credentials } from './src/login-bench';
import { MessageSweepResult, runMessageSweep } from './src/message-bench';
import { CpuMeter } from './src/proc';
import { ScramKeyCache } from './src/scram-client';

const DOMAIN_A = 'a.s2s-bench.test';
const DOMAIN_B = 'b.s2s-bench.test';
const HARD_LIMIT_MS = 10 * 60_000;

function usage(): never {
  console.log(`npm run bench:s2s [-- options]
  --pairs=N          sender/receiver pairs, senders on domain A, receivers on domain B (default 50)
  --rates=a,b,...    offered total rates in msg/s, ascending (default 250,500,1000,2000,3000,4000,6000,8000)
  --step-seconds=S   length of each rate step (default 5)
  --s2s-rate=SIZE    S2S_RATE of the Parley gateways (default: Parley's default, 256KiB per inbound stream)
  --peer=parley|ejabberd  the receiving side: a second Parley deployment (default) or Debian's
                     ejabberd 23.01 (scripts/ensure-peers.sh installs it), writing s2s-ejabberd.json`);
  process.exit(0);
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) usage();
  const pairs = Math.min(positiveArg('pairs', 50), 1000);
  const stepSeconds = Math.min(positiveArg('step-seconds', 5), 60);
  const rates = (argValue('rates') ?? '250,500,1000,2000,3000,4000,6000,8000')
    .split(',')
    .map(Number)
    .filter((n) => Number.isFinite(n) && n > 0)
    .slice(0, 20);
  if (!rates.length) throw new Error('--rates must list positive numbers');
  const s2sRate = argValue('s2s-rate');
  const log = (s: string) => console.log(s);

  const peer = argValue('peer') ?? 'parley';
  if (peer !== 'parley' && peer !== 'ejabberd') throw new Error('--peer must be parley or ejabberd');

  const stacks: E2EStack[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const hardLimit = setTimeout(() => {
    log(`[bench:s2s] still running after ${HARD_LIMIT_MS / 60_000} min: giving up`);
    void Promise.all([...stacks.map((s) => s.stop()), ...cleanups.map((c) => c())]).finally(() => process.exit(1));
  }, HARD_LIMIT_MS);
  hardLimit.unref();
  try {
    const stackA = await startStack('benchs2sa');
    stacks.push(stackA);
    await stackA.startService('roster');
    const common = {
      TLS_REQUIRED: 'false',
      REGISTRATION_LIMIT: '1000000',
      S2S_ENABLED: 'true',
      S2S_DIALBACK_SECRET: randomBytes(32).toString('hex'),
      ...(s2sRate ? { S2S_RATE: s2sRate } : {}),
    };
    const pidOf = (g: { proc: { pid?: number } }) => () => (g.proc.pid ? [g.proc.pid] : []);
    let gwA: GatewayProcess;
    let receiver: { name: string; domain: string; port: number; register(name: string, password: string): Promise<string>; pids(): number[] };
    let domainA: string;
    if (peer === 'parley') {
      domainA = DOMAIN_A;
      const stackB = await startStack('benchs2sb');
      stacks.push(stackB);
      await stackB.startService('roster');
      const [portA, portB] = [await freePort(), await freePort()];
      log(`[bench:s2s] two Parley deployments: ${DOMAIN_A} (s2s on ${portA}) and ${DOMAIN_B} (s2s on ${portB})${s2sRate ? `, S2S_RATE=${s2sRate}` : ''}`);
      let gwB: GatewayProcess;
      [gwA, gwB] = await Promise.all([
        stackA.startGateway({ ...common, XMPP_DOMAIN: DOMAIN_A, S2S_HOST: '127.0.0.1', S2S_PORT: String(portA), S2S_STATIC_ROUTES: `${DOMAIN_B}=127.0.0.1:${portB}` }),
        stackB.startGateway({ ...common, XMPP_DOMAIN: DOMAIN_B, S2S_HOST: '127.0.0.1', S2S_PORT: String(portB), S2S_STATIC_ROUTES: `${DOMAIN_A}=127.0.0.1:${portA}`, S2S_DIALBACK_SECRET: randomBytes(32).toString('hex') }),
      ]);
      const rosterB = stackB.services.get('roster')!;
      receiver = { name: 'gwB', domain: DOMAIN_B, port: gwB.starttlsPort, register: (n, pw) => registerInBand(gwB.starttlsPort, n, pw, DOMAIN_B), pids: () => [...pidOf(gwB)(), ...pidOf(rosterB)()] };
    } else {
      // ejabberd finds Parley by its IP-literal domain on 5269 (docs/federation.md); Parley finds ejabberd by a static route
      domainA = randomLoopback();
      const ejDomain = randomLoopback();
      const scratchDir = mkdtempSync(join(tmpdir(), 'parley-s2s-bench-'));
      chmodSync(scratchDir, 0o711); // ejabberd runs as its system user when this runs as root
      cleanups.push(async () => rmSync(scratchDir, { recursive: true, force: true }));
      const certFile = join(scratchDir, 'cert.pem');
      const keyFile = join(scratchDir, 'key.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${ejDomain}`], { stdio: 'ignore' });
      const s2sPort = await freePort(ejDomain);
      log(`[bench:s2s] Parley (${domainA}, s2s on 5269) and Debian's ejabberd (${ejDomain}, s2s on ${s2sPort})${s2sRate ? `, Parley's S2S_RATE=${s2sRate}` : ''}`);
      const ej = await startEjabberd({ domain: ejDomain, scratchDir, certFile, keyFile, scramIterations: 4096, s2s: { address: ejDomain, port: s2sPort, starttls: 'required' } });
      cleanups.unshift(() => ej.stop());
      gwA = await stackA.startGateway({ ...common, XMPP_DOMAIN: domainA, S2S_HOST: domainA, S2S_PORT: '5269', S2S_STATIC_ROUTES: `${ejDomain}=${ejDomain}:${s2sPort}` });
      receiver = { name: 'ejabberd', domain: ejDomain, port: ej.port, register: (n, pw) => registerInBand(ej.port, n, pw, ejDomain), pids: () => ej.pids() };
    }
    const password = randomBytes(12).toString('base64url'); // one per run, never printed
    const users: Credentials[] = [];
    for (let i = 0; i < pairs; i++) {
      users.push({ username: `s2ss${i}`, password }, { username: `s2sr${i}`, password });
      for (const [reply, who] of [
        [await registerInBand(gwA.starttlsPort, `s2ss${i}`, password, domainA), `s2ss${i}@${domainA}`],
        [await receiver.register(`s2sr${i}`, password), `s2sr${i}@${receiver.domain}`],
      ]) {
        if (!/type=.result./.test(reply)) throw new Error(`registering ${who}: ${reply.slice(0, 200)}`);
      }
    }
    const rosterA = stackA.services.get('roster')!;
    // `other` is everything else on the machine, the stacks' NATS servers included
    const cpu = new CpuMeter([
      { name: 'gwA', pids: pidOf(gwA) },
      { name: receiver.name, pids: () => receiver.pids() },
      { name: 'rosterA', pids: pidOf(rosterA) },
    ]);
    log(`[bench:s2s] ${pairs} pairs (senders on ${domainA}, receivers on ${receiver.domain}), steps of ${stepSeconds} s`);
    const sweep: MessageSweepResult = await runMessageSweep({
      label: 'one s2s link',
      domain: domainA,
      endpoints: [
        { name: 'gwA', port: gwA.starttlsPort, domain: domainA },
        { name: receiver.name, port: receiver.port, domain: receiver.domain },
      ],
      placement: () => ({ sender: 0, receiver: 1 }),
      pairs,
      users,
      starttls: false,
      cache: new ScramKeyCache(),
      rates,
      stepMs: stepSeconds * 1000,
      drainMs: 3000,
      settleMs: 1000,
      maxLossPercent: 1,
      maxP99Ms: 1000,
      goodP99Ms: 100,
      cpu,
      log,
    });
    const links = gwA.logs.filter((l) => l.includes('s2s outbound link authenticated')).length;
    const result = { at: new Date().toISOString(), peer, stepSeconds, s2sRate: s2sRate ?? 'default (256KiB)', outboundLinksOpened: links, ...sweep };
    log('');
    log(`one s2s link, Parley ${domainA} → ${peer} ${receiver.domain}: ${sweep.pairs} pairs, warm-up ${sweep.warmupDelivered}/${sweep.pairs}, outbound links opened by A: ${links}`);
    log(`offered/s  sent/s    lost   loss%  errors  p50 ms  p99 ms  max ms  cpu gwA%  cpu ${receiver.name}%  other%`);
    for (const s of sweep.steps) {
      const c = s.cpuPercent ?? {};
      log(
        [s.offeredRate, s.sentRate, s.lost, s.lossPercent, s.errors, s.latencyMs.p50, s.latencyMs.p99, s.latencyMs.max, c.gwA ?? '-', c[receiver.name] ?? '-', c.other ?? '-']
          .map((v, i) => String(v).padStart(i === 0 ? 9 : 7))
          .join(' '),
      );
    }
    log(`highest rate with p99 < 100 ms and nothing lost: ${sweep.bestRate ?? 'none'} msg/s (stopped: ${sweep.stoppedBecause})`);
    const dir = resolve(__dirname, '..', '..', 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, peer === 'parley' ? 's2s.json' : `s2s-${peer}.json`), JSON.stringify(result, null, 2));
  } finally {
    clearTimeout(hardLimit);
    for (const c of cleanups) await c();
    for (const s of stacks) await s.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
