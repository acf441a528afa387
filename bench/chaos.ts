// `npm run chaos [-- options]`: the fault-injection run (bench/src/chaos/run-chaos.ts).
// Prints the accounting table (fault × sent × delivered × stored × bounced × lost ×
// duplicated) and writes it to bench/results/chaos.json. Exits 1 when a message the
// server acknowledged was lost. Options: --pairs=N (8), --rate=MSGS_PER_S (20),
// --phase=SECONDS (12), --only="gateway SIGKILL,NATS SIGKILL", --out=FILE (the JSON
// result; default bench/results/chaos.json).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { argValue, positiveArg } from './src/args';
import { chaosTable } from './src/chaos/report';
import { runChaos } from './src/chaos/run-chaos';

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log('npm run chaos -- [--pairs=8] [--rate=20] [--phase=12] [--only="fault,fault"] [--out=FILE]');
    return;
  }
  const only = argValue('only')?.split(',').map((s) => s.trim()).filter(Boolean);
  const result = await runChaos({
    pairs: positiveArg('pairs', 8),
    rate: positiveArg('rate', 20),
    phaseMs: positiveArg('phase', 12) * 1000,
    only,
    log: (line) => console.error(line),
  });
  console.log(chaosTable(result));
  const out = argValue('out') ?? join(resolve(__dirname, '..', '..', 'bench', 'results'), 'chaos.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2));
  if (result.rows.some((r) => r.lost > 0)) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
