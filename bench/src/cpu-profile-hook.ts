// Preloaded into a gateway under test (`node --require dist/bench/src/cpu-profile-hook.js`)
// when the benchmark runs with --profile. Driven over the IPC channel the benchmark
// opens: 'bench:profile-start' starts the V8 CPU profiler, 'bench:profile-stop'
// stops it, writes `<BENCH_PROFILE_DIR>/<BENCH_PROFILE_NAME>-<n>.cpuprofile` and
// answers { profile: path }. Only the window the benchmark cares about is profiled,
// and the gateway's own code is untouched. (Signals are no use here: Nest's shutdown
// hooks treat SIGUSR2 as a shutdown signal, and SIGUSR1 belongs to the inspector.)
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;
const name = process.env.BENCH_PROFILE_NAME ?? `gateway-${process.pid}`;

if (dir && process.send) {
  const session = new Session();
  session.connect();
  let n = 0;
  const reply = (m: object) => process.send?.(m);
  process.on('message', (m: unknown) => {
    if (m === 'bench:profile-start') {
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start', (err) => reply({ started: !err }))),
      );
    } else if (m === 'bench:profile-stop') {
      session.post('Profiler.stop', (err, res) => {
        if (err || !res) return reply({ error: String(err ?? 'no profile') });
        n += 1;
        const file = join(dir, `${name}-${n}.cpuprofile`);
        writeFileSync(file, JSON.stringify(res.profile));
        reply({ profile: file });
      });
    }
  });
  // the channel must not keep the gateway alive (it is ref'd when the listener is added)
  (process.channel as unknown as { unref?: () => void } | undefined)?.unref?.();
}
