// Reads a V8 .cpuprofile and says where the time went: self time per function and
// per area (TLS, XML parser, NATS client, GC, ...), as percent of samples.

/** The parts of a V8 CPU profile this reads. */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }>;
  samples?: number[];
  startTime: number;
  endTime: number;
}

/** Where time went. */
export interface ProfileSummary {
  /** Wall time the profile covers, ms. */
  durationMs: number;
  /** Percent of samples not idle. */
  busyPercent: number;
  /** Top functions by self time, percent of all samples. */
  topFunctions: Array<{ fn: string; where: string; percent: number }>;
  /** Self time by area, percent of all samples. */
  areas: Array<{ area: string; percent: number }>;
}

/** Which part of the system a frame belongs to. */
export function areaOf(functionName: string, url: string): string {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return 'native/runtime (program)';
  if (/\/libs\/xmpp\/xml\//.test(url)) return 'XML parser/serializer (@parley/xml)';
  if (/\/libs\/xmpp\//.test(url)) return 'protocol libs (jid, stanza)';
  if (/\/services\/gateway\/src\/stream\//.test(url)) return 'gateway stream (c2s, sasl)';
  if (/\/services\/gateway\/src\/routing\//.test(url)) return 'gateway routing';
  if (/\/services\/gateway\//.test(url)) return 'gateway other';
  if (/\/libs\/platform\//.test(url)) return 'platform libs';
  if (/node_modules\/(nats|@nats-io)\//.test(url)) return 'NATS client';
  if (/node_modules\/(typeorm|pg|pg-[a-z-]+)\//.test(url)) return 'TypeORM / pg';
  if (/node_modules\/(pino|pino-[a-z-]+|sonic-boom|thread-stream)\//.test(url)) return 'logging (pino)';
  if (/node_modules\//.test(url)) return `node_modules/${/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? '?'}`;
  const core = /^node:(\w+)/.exec(url);
  if (core) return core[1] === 'internal' ? `node core (${/^node:internal\/([\w]+)/.exec(url)?.[1] ?? 'internal'})` : `node core (${core[1]})`;
  if (url === '' && functionName) return `native: ${functionName}`;
  return 'other';
}

/** Summarises a profile (self time only; callers' totals would double-count). */
export function summarizeProfile(p: CpuProfile, top = 15): ProfileSummary {
  const hits = new Map<number, number>();
  if (p.samples?.length) for (const id of p.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  else for (const n of p.nodes) hits.set(n.id, n.hitCount ?? 0);
  let total = 0;
  for (const v of hits.values()) total += v;
  const byFn = new Map<string, { fn: string; where: string; n: number }>();
  const byArea = new Map<string, number>();
  let idle = 0;
  for (const node of p.nodes) {
    const n = hits.get(node.id) ?? 0;
    if (!n) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(functionName, url);
    if (area === 'idle') idle += n;
    byArea.set(area, (byArea.get(area) ?? 0) + n);
    const where = url ? `${url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${lineNumber + 1}` : '';
    const key = `${functionName}|${where}`;
    const cur = byFn.get(key) ?? { fn: functionName || '(anonymous)', where, n: 0 };
    cur.n += n;
    byFn.set(key, cur);
  }
  const pct = (n: number) => (total ? Math.round((n / total) * 1000) / 10 : 0);
  return {
    durationMs: Math.round((p.endTime - p.startTime) / 1000),
    busyPercent: pct(total - idle),
    topFunctions: [...byFn.values()]
      .filter((f) => f.fn !== '(idle)')
      .sort((a, b) => b.n - a.n)
      .slice(0, top)
      .map((f) => ({ fn: f.fn, where: f.where, percent: pct(f.n) })),
    areas: [...byArea.entries()]
      .filter(([a]) => a !== 'idle')
      .sort((a, b) => b[1] - a[1])
      .map(([area, n]) => ({ area, percent: pct(n) })),
  };
}
