// Benchmark: MAM page queries over a 100 000-message archive, through the real store
// code (plan + SQL + count), in a scratch database that is dropped afterwards.
// Called by `npm run bench`; the target is a page in well under 100 ms.
import 'reflect-metadata';
import { openDataSource } from '@parley/persistence';
import { createTestDatabase } from '@parley/testing-stack';
import { performance } from 'node:perf_hooks';
import type { ArchiveLookupQuery } from '@parley/contracts';
import { planLookup } from '../domain/lookup';
import { entities } from '../persistence/entities';
import { migrations } from '../persistence/migrations';
import { PgArchiveStore } from '../store/pg-archive-store';

const OWNER = 'bench@localhost';
const ROWS = 100_000;
const PEERS = 50;
const ROUNDS = 40;
const LIMITS = { pageDefault: 50, pageMax: 250 };

/** Percentile of sorted samples (nearest rank). */
function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i] * 100) / 100;
}

/** Seeds 100k messages for one user and times page queries (first, middle by after-id, last, filtered). */
export async function benchArchiveQuery(): Promise<{
  pageMs: { p50: number; p99: number };
  rows: number;
  byScenario: Record<string, { p50: number; p99: number }>;
}> {
  const db = await createTestDatabase('archive_bench');
  const ds = await openDataSource({ url: db.url, entities, migrations, poolSize: 2 });
  try {
    const t0 = Date.now() - 25 * 24 * 3600 * 1000;
    await ds.query(
      `INSERT INTO archive_messages (owner, stanza_id, ts, with_bare, with_full, direction, stanza)
       SELECT $1, gen_random_uuid()::text, to_timestamp($2::double precision / 1000) + g * interval '20 seconds',
              'peer' || (g % ${PEERS}) || '@localhost', 'peer' || (g % ${PEERS}) || '@localhost/res',
              CASE WHEN g % 2 = 0 THEN 'i' ELSE 'o' END,
              '<message xmlns=''jabber:client'' type=''chat''><body>' || repeat('lorem ipsum ', 12) || g || '</body></message>'
       FROM generate_series(1, ${ROWS}) AS g`,
      [OWNER, t0],
    );
    await ds.query('VACUUM ANALYZE archive_messages');
    const [{ n }] = await ds.query('SELECT count(*)::int AS n FROM archive_messages WHERE owner = $1', [OWNER]);
    const idAt = async (offset: number): Promise<string> =>
      (await ds.query('SELECT stanza_id FROM archive_messages WHERE owner = $1 ORDER BY ts, seq OFFSET $2 LIMIT 1', [OWNER, offset]))[0].stanza_id;
    const middle = await idAt(ROWS / 2);
    const late = await idAt(ROWS - 5000);
    const store = PgArchiveStore.over(ds);
    const iso = (ms: number) => new Date(ms).toISOString();
    const scenarios: Record<string, ArchiveLookupQuery> = {
      first: { owner: OWNER, rsm: { max: 50 } },
      'middle-after-id': { owner: OWNER, rsm: { max: 50, after: middle } },
      last: { owner: OWNER, rsm: { max: 50, before: '' } },
      'with-filter': { owner: OWNER, with: 'peer7@localhost', rsm: { max: 50, after: middle } },
      'time-range': { owner: OWNER, start: iso(t0 + 10 * 24 * 3600 * 1000), end: iso(t0 + 12 * 24 * 3600 * 1000), rsm: { max: 50 } },
      'after-id-last-page': { owner: OWNER, afterId: late, rsm: { max: 50, before: '' } },
      // RSM count over the whole archive is most of the cost above; without it:
      'middle-no-count': { owner: OWNER, rsm: { max: 50, after: middle }, count: false },
    };
    const all: number[] = [];
    const byScenario: Record<string, { p50: number; p99: number }> = {};
    for (const [name, q] of Object.entries(scenarios)) {
      await store.lookup(planLookup(q, LIMITS)); // warm-up
      const samples: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const started = performance.now();
        const page = await store.lookup(planLookup(q, LIMITS));
        samples.push(performance.now() - started);
        if (page.rows.length === 0) throw new Error(`bench scenario ${name} returned no rows`);
      }
      samples.sort((a, b) => a - b);
      byScenario[name] = { p50: percentile(samples, 50), p99: percentile(samples, 99) };
      all.push(...samples);
    }
    all.sort((a, b) => a - b);
    return { pageMs: { p50: percentile(all, 50), p99: percentile(all, 99) }, rows: n, byScenario };
  } finally {
    await ds.destroy();
    await db.drop();
  }
}
