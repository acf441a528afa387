import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { heapGrowth } from './heap-diff';

class HeapDiffProbe {
  constructor(readonly n: number) {}
}

describe('heapGrowth', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heap-diff-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the objects allocated between two snapshots, counted and sized', () => {
    const before = writeHeapSnapshot(join(dir, 'before.heapsnapshot'));
    const kept = Array.from({ length: 5000 }, (_, i) => new HeapDiffProbe(i));
    const after = writeHeapSnapshot(join(dir, 'after.heapsnapshot'));
    const rows = heapGrowth(before, after, 50);
    const probe = rows.find((r) => r.kind === 'HeapDiffProbe');
    expect(probe).toBeDefined();
    expect(probe!.count).toBe(5000);
    expect(probe!.bytes).toBeGreaterThanOrEqual(5000 * 16);
    expect(rows[0].bytes).toBeGreaterThanOrEqual(rows[rows.length - 1].bytes);
    expect(kept.length).toBe(5000);
  });

  it('refuses a file that is not a heap snapshot', () => {
    const bogus = join(dir, 'bogus.heapsnapshot');
    writeFileSync(bogus, JSON.stringify({ snapshot: { meta: { node_fields: ['a'], node_types: [[]] } }, nodes: [], strings: [] }));
    expect(() => heapGrowth(bogus, bogus)).toThrow(/not a V8 heap snapshot/);
  });
});
