// Preloaded (NODE_OPTIONS=--require dist/bench/src/cpu-profile-run-hook.js) into a
// process that `npm run bench:offline -- --profile` starts: profiles the V8 CPU from
// start until SIGTERM (or exit) and writes BENCH_PROFILE_FILE then (Node refuses
// --cpu-prof in NODE_OPTIONS; the in-process inspector session answers synchronously,
// so the profile can be taken in a signal or 'exit' handler). The SIGTERM listener
// removes itself: Nest's shutdown hook re-raises the signal after closing the app.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const file = process.env.BENCH_PROFILE_FILE;

if (file) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  let written = false;
  const write = (): void => {
    if (written) return;
    written = true;
    session.post('Profiler.stop', (err, res) => {
      if (!err && res) writeFileSync(file, JSON.stringify(res.profile));
    });
  };
  process.once('SIGTERM', write);
  process.once('exit', write);
}
