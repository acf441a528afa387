// `npm run bench:offline`: offline messages, store and drain. Starts its own NATS (with
// Parley's bus users), a gateway and the roster and offline services on scratch
// databases; S senders send M messages to U users who are offline, as fast as their
// sockets take them (store rate: until the offline service holds them all); then every
// recipient logs in with initial presence at once (drain rate: until each has all its
// messages, exactly once, in order). Prints the figures and writes
// bench/results/offline.json. Bounded in count and time; measured, never asserted.
// --messages=M --users=U --senders=S; --profile also writes and summarises CPU profiles
// of the gateway and the offline service (bench/results/profiles-offline/).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OfflineStatsResult, OfflineSubjects } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { registerInBand, startStack } from '@parley/testing-xmpp';
import { positiveArg } from './src/args';
import { CpuProfile, summarizeProfile } from './src/profile-summary';
import { ScramKeyCache } from './src/scram-client';
import { offlineCommitWatch, runOfflineStoreDrain } from './src/offline-store-drain';

const DOMAIN = 'localhost';
const TIMEOUT_MS = 180_000;

async function main(): Promise<void> {
  const messages = positiveArg('messages', 10_000);
  const users = positiveArg('users', 100);
  const senders = positiveArg('senders', 5);
  // --profile: V8 CPU profiles of the gateway and the offline service over the whole run (see src/cpu-profile-run-hook.ts)
  const profile = process.argv.includes('--profile');
  const dir = resolve(__dirname, '..', '..', 'bench', 'results');
  const profileDir = join(dir, 'profiles-offline');
  if (profile) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
  }
  const hook = join(__dirname, 'src', 'cpu-profile-run-hook.js');
  const profiled = (name: string): Record<string, string> => (profile ? { NODE_OPTIONS: `--require ${hook}`, BENCH_PROFILE_FILE: join(profileDir, `${name}.cpuprofile`) } : {});
  const stack = await startStack('benchoff');
  const cache = new ScramKeyCache();
  const bus = await Bus.connect(stack.busOptions('bench-offline'));
  try {
    await stack.startService('roster');
    await stack.startService('offline', profiled('offline'));
    const gw = await stack.startGateway({ TLS_REQUIRED: 'false', REGISTRATION_LIMIT: '1000000', ...profiled('gateway') });
    const password = 'offline bench password';
    const names = { s: Array.from({ length: senders }, (_, i) => `offs${i}`), r: Array.from({ length: users }, (_, i) => `offr${i}`) };
    for (const n of [...names.s, ...names.r]) {
      const reply = await registerInBand(gw.starttlsPort, n, password);
      if (!/type=.result./.test(reply)) throw new Error(`registering ${n}: ${reply.slice(0, 200)}`);
    }
    const creds = (list: string[]) => list.map((username) => ({ username, password }));
    const commits = offlineCommitWatch(bus, async () => (await bus.request<OfflineStatsResult>(OfflineSubjects.stats, {}, { timeoutMs: 10_000 })).messages, TIMEOUT_MS);
    await commits.start();
    const r = await runOfflineStoreDrain({
      port: gw.starttlsPort,
      domain: DOMAIN,
      senders: creds(names.s),
      recipients: creds(names.r),
      messages,
      cache,
      // stored: the offline service committed them all
      stored: (_senders, n) => commits.stored(n),
      timeoutMs: TIMEOUT_MS,
    });
    const result = { at: new Date().toISOString(), ...r };
    console.log(`offline store: ${r.storePerSecond} msg/s (${messages} messages to ${users} offline users from ${senders} senders, ${r.storeMs} ms, ${r.errors} errors)`);
    console.log(
      `offline drain: ${r.drainPerSecond} msg/s (${r.received} delivered to ${users} users logging in at once in ${r.drainMs} ms; a user's last p50 ${r.userDoneMsP50} ms / p99 ${r.userDoneMsP99} ms; ${r.duplicates} duplicates, ${r.outOfOrder} out of order)`,
    );
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'offline.json'), JSON.stringify(result, null, 2));
  } finally {
    await bus.close();
    await stack.stop();
  }
  if (profile) {
    for (const f of readdirSync(profileDir).filter((n) => n.endsWith('.cpuprofile'))) {
      const s = summarizeProfile(JSON.parse(readFileSync(join(profileDir, f), 'utf8')) as CpuProfile);
      console.log(`\n${f}: ${Math.round(s.durationMs)} ms, busy ${s.busyPercent.toFixed(1)} %`);
      for (const a of s.areas.slice(0, 10)) console.log(`  ${a.percent.toFixed(1).padStart(5)} %  ${a.area}`);
      for (const t of s.topFunctions) console.log(`  ${t.percent.toFixed(1).padStart(5)} %  ${t.fn}  ${t.where}`);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
