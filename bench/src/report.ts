// Plain-text tables for the benchmark's console report.

/** Formats a number for a table cell ('-' for missing/NaN). */
export function fmt(v: number | undefined, digits = 0): string {
  if (v === undefined || Number.isNaN(v)) return '-';
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** A left-aligned first column and right-aligned other columns, separated by two spaces. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? (c ?? '').padEnd(widths[i]) : (c ?? '').padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** `name n%` pairs of a CPU breakdown; `!` marks a busy machine (other work above `noisyOther`%). */
export function cpuCell(cpu: Record<string, number> | undefined, noisyOther = 30): string {
  if (!cpu) return '-';
  return Object.entries(cpu)
    .map(([k, v]) => `${k} ${v}%${k === 'other' && v > noisyOther ? '!' : ''}`)
    .join(', ');
}
