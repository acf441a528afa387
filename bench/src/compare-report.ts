// The comparison mode's tables: one row per figure, one column per server, and
// Parley's ratio to the best reference server (the best of the others on that figure).
import { fmt, table } from './report';

/** One measured figure across servers (undefined: not measured / failed). */
export interface Figure {
  label: string;
  higherIsBetter: boolean;
  values: Record<string, number | undefined>;
  digits?: number;
}

/** Median of the finite values (undefined when none). */
export function median(xs: Array<number | undefined>): number | undefined {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return undefined;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Parley's value divided by the best reference value (the highest, or the lowest when lower is better). */
export function parleyRatio(f: Figure, parley = 'parley'): { ratio?: number; against?: string; parleyBetter?: boolean } {
  const p = f.values[parley];
  const refs = Object.entries(f.values).filter((e): e is [string, number] => e[0] !== parley && typeof e[1] === 'number' && Number.isFinite(e[1]));
  if (p === undefined || !Number.isFinite(p) || !refs.length) return {};
  const [against, best] = refs.reduce((a, b) => ((f.higherIsBetter ? b[1] > a[1] : b[1] < a[1]) ? b : a));
  if (best === 0) return { against };
  const ratio = p / best;
  return { ratio, against, parleyBetter: ratio === 1 ? undefined : f.higherIsBetter ? ratio > 1 : ratio < 1 };
}

/** `0.52× prosody (worse)`; '-' when there is nothing to compare. */
export function ratioCell(r: ReturnType<typeof parleyRatio>): string {
  if (r.ratio === undefined || !r.against) return '-';
  const verdict = r.parleyBetter === undefined ? 'equal' : r.parleyBetter ? 'better' : 'worse';
  return `${fmt(r.ratio, 2)}× ${r.against} (${verdict})`;
}

/** A table of figures: label, each server's value, Parley ÷ best reference. */
export function comparisonTable(servers: string[], figures: Figure[]): string {
  return table(
    ['figure', ...servers, 'Parley ÷ best reference'],
    figures.map((f) => [`${f.label} (${f.higherIsBetter ? 'higher' : 'lower'} is better)`, ...servers.map((s) => fmt(f.values[s], f.digits ?? 0)), servers.includes('parley') ? ratioCell(parleyRatio(f)) : '-']),
  );
}

/** Server order of repetition `rep`: rotated by one each time, so no server always runs first (or last). */
export function rotation<T>(servers: T[], rep: number): T[] {
  if (!servers.length) return [];
  const k = rep % servers.length;
  return [...servers.slice(k), ...servers.slice(0, k)];
}
