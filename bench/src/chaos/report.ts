// The fault-injection run's accounting as a table (markdown, for the docs and the note).
import type { ChaosResult } from './run-chaos';

export function chaosTable(r: ChaosResult): string {
  const head = ['fault', 'sent (acked)', 'delivered', 'stored', 'bounced', 'lost', 'duplicated', 'unconfirmed', 'untold'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const x of r.rows) lines.push(`| ${x.fault} | ${x.sent} | ${x.delivered} | ${x.stored} | ${x.bounced} | ${x.lost} | ${x.duplicated} | ${x.unconfirmed} | ${x.untold} |`);
  for (const s of r.skipped) lines.push(`| ${s.fault} | not run: ${s.why} | | | | | | | |`);
  lines.push('', `${r.options.pairs} pairs, ${r.options.rate} msg/s, ${r.options.phaseMs / 1000} s per fault.`);
  return lines.join('\n');
}
