// What a gateway's V8 heap holds per idle session: two heap snapshots (before and after
// the idle sessions of the memory part, `--heap-snapshots`) are summed by node type and
// name (an object's constructor, a closure's function, "(string)" for every string) and
// the growth is divided by the sessions held. Only the self size of each node is
// counted, so the rows add up to the heap growth; what retains what is for DevTools
// (the snapshot files stay in bench/results/heap/).
import { readFileSync } from 'node:fs';

/** One row of the difference: a kind of heap node and what it grew by. */
export interface HeapGrowth {
  kind: string;
  count: number;
  bytes: number;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size and count per kind of node in a `.heapsnapshot` file. */
export function summarizeHeapSnapshot(file: string): Map<string, { count: number; bytes: number }> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  if (iType < 0 || iName < 0 || iSize < 0) throw new Error(`${file}: not a V8 heap snapshot`);
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < s.nodes.length; i += fields.length) {
    const type = types[s.nodes[i + iType]];
    const kind =
      type === 'string' || type === 'concatenated string' || type === 'sliced string'
        ? '(string)'
        : type === 'object' || type === 'closure' || type === 'native'
          ? `${type === 'object' ? '' : `${type} `}${s.strings[s.nodes[i + iName]] || '(anonymous)'}`
          : `(${type})`;
    const e = out.get(kind) ?? { count: 0, bytes: 0 };
    e.count += 1;
    e.bytes += s.nodes[i + iSize];
    out.set(kind, e);
  }
  return out;
}

/** The kinds that grew most between two snapshots, largest first. */
export function heapGrowth(before: string, after: string, top = 20): HeapGrowth[] {
  const a = summarizeHeapSnapshot(before);
  const b = summarizeHeapSnapshot(after);
  const rows: HeapGrowth[] = [];
  for (const [kind, x] of b) {
    const y = a.get(kind) ?? { count: 0, bytes: 0 };
    rows.push({ kind, count: x.count - y.count, bytes: x.bytes - y.bytes });
  }
  return rows.sort((p, q) => q.bytes - p.bytes).slice(0, top);
}
