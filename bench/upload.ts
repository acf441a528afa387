// `npm run bench:upload [-- --large-mb=256 --concurrent=100 --small-kb=1024 --backends=fs,s3]`:
// the upload service alone (bench/src/upload-bench.ts). Also a part of `npm run bench`.
import { argValue } from './src/args';
import { formatUploadBench, runUploadBench } from './src/upload-bench';

const arg = (name: string, dflt: string): string => argValue(name) ?? dflt;
function num(name: string, dflt: number, max: number): number {
  const n = Number(arg(name, String(dflt)));
  if (!Number.isFinite(n) || n <= 0 || n > max) throw new Error(`--${name} must be a number within 1..${max}`);
  return n;
}

async function main(): Promise<void> {
  const backends = arg('backends', 'fs,s3').split(',') as Array<'fs' | 's3'>;
  for (const b of backends) if (b !== 'fs' && b !== 's3') throw new Error(`--backends: unknown backend ${b} (fs, s3)`);
  const results = await runUploadBench({
    largeBytes: num('large-mb', 256, 10_000) * 1e6,
    concurrent: num('concurrent', 100, 2000),
    smallBytes: num('small-kb', 1024, 1_000_000) * 1024,
    backends,
    log: (l) => process.stderr.write(`${l}\n`),
  });
  for (const l of formatUploadBench(results)) console.log(l);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
