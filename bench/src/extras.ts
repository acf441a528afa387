// Benchmarks other engineers own, run when they exist: the XML stream parser
// (libs/xmpp/xml/src/bench.ts → benchParser) and the archive query
// (services/archive/src/bench/query.bench.ts → benchArchiveQuery). They are loaded
// from dist/ at run time by path: the bench project may not import a service, and
// the parser benchmark is deliberately not exported from @parley/xml.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Outcome of an optional benchmark. */
export type ExtraResult<T> = { status: 'absent'; file: string } | { status: 'ok'; result: T; ms: number } | { status: 'failed'; error: string };

/** What benchParser reports. */
export interface ParserResult {
  stanzasPerSecond: number;
  bytesPerSecond: number;
  stanzas: number;
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)))]);
  } finally {
    if (t) clearTimeout(t);
  }
}

async function runExtra<T>(root: string, rel: string, exportName: string, call: (fn: (...a: unknown[]) => unknown) => unknown, timeoutMs: number): Promise<ExtraResult<T>> {
  const file = join(root, 'dist', rel);
  if (!existsSync(file)) return { status: 'absent', file: rel };
  try {
    const mod = require(file) as Record<string, unknown>;
    const fn = mod[exportName];
    if (typeof fn !== 'function') return { status: 'failed', error: `${rel} does not export a function ${exportName}` };
    const t0 = performance.now();
    const result = (await withTimeout(Promise.resolve(call(fn as (...a: unknown[]) => unknown)), timeoutMs, exportName)) as T;
    return { status: 'ok', result, ms: Math.round(performance.now() - t0) };
  } catch (e) {
    return { status: 'failed', error: (e as Error).stack?.split('\n').slice(0, 3).join(' | ') ?? String(e) };
  }
}

/** Runs benchParser(stanzas) three times and keeps the best (first runs include JIT warm-up). */
export async function parserBench(root: string, stanzas: number): Promise<ExtraResult<ParserResult & { runs: number[] }>> {
  return runExtra(
    root,
    'libs/xmpp/xml/src/bench.js',
    'benchParser',
    (fn) => {
      const runs = [0, 1, 2].map(() => fn(stanzas) as ParserResult);
      const best = runs.reduce((a, b) => (b.stanzasPerSecond > a.stanzasPerSecond ? b : a));
      return { ...best, runs: runs.map((r) => r.stanzasPerSecond) };
    },
    120_000,
  );
}

/** Calls benchArchiveQuery() and returns whatever it reports (printed as it comes). */
export async function archiveBench(root: string): Promise<ExtraResult<unknown>> {
  return runExtra(root, 'services/archive/src/bench/query.bench.js', 'benchArchiveQuery', (fn) => fn(), 300_000);
}
