// Runs every built service as a child process (the bare-machine equivalent of
// docker compose): each gets its own health port, logs are prefixed by service,
// and Ctrl-C / SIGTERM stops them all. A service that dies is restarted with backoff.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SERVICES = [
  ['gateway', 8080],
  ['roster', 8081],
  ['offline', 8082],
  ['archive', 8083],
  ['upload', 8084],
  ['profile', 8085],
  ['janitor', 8086],
];

const children = new Map();
let stopping = false;

/**
 * Each service connects to NATS as its own bus role when its password is in the
 * environment (PARLEY_NATS_<ROLE>_PASSWORD, as scripts/local-bus.sh and compose set).
 */
function busEnv(name) {
  const password = process.env[`PARLEY_NATS_${name.toUpperCase()}_PASSWORD`];
  if (!password || process.env.NATS_USER) return {};
  const ns = process.env.NATS_NAMESPACE;
  return { NATS_USER: ns ? `${ns}-${name}` : name, NATS_PASSWORD: password };
}

function start(name, port, attempt = 0) {
  const main = join(root, 'dist', 'services', name, 'src', 'main.js');
  // A service sees its own bus password only.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^PARLEY_NATS_.*_PASSWORD$/.test(k)));
  const child = spawn(process.execPath, ['--enable-source-maps', main], {
    cwd: root,
    env: { HTTP_PORT: String(port), ...env, ...busEnv(name) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(name, child);
  const pad = name.padEnd(8);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (l) => process.stdout.write(`${pad}| ${l}\n`));
  }
  const startedAt = Date.now();
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (stopping) return;
    const next = Date.now() - startedAt > 30_000 ? 0 : attempt + 1;
    const delay = Math.min(30_000, 500 * 2 ** next);
    process.stdout.write(`${pad}| exited (${signal ?? code}); restarting in ${delay} ms\n`);
    setTimeout(() => start(name, port, next), delay);
  });
}

const present = SERVICES.filter(([name]) => existsSync(join(root, 'dist', 'services', name, 'src', 'main.js')));
console.log(`starting: ${present.map(([n]) => n).join(', ')}`);
for (const [name, port] of present) start(name, port);

function stopAll() {
  if (stopping) return;
  stopping = true;
  for (const c of children.values()) c.kill('SIGTERM');
  const deadline = setTimeout(() => {
    for (const c of children.values()) c.kill('SIGKILL');
    process.exit(0);
  }, 10_000);
  deadline.unref();
  const check = setInterval(() => {
    if (children.size === 0) {
      clearInterval(check);
      process.exit(0);
    }
  }, 100);
}
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);
