// Cheap extraction of benchmark messages from raw received text: complete
// `<message …>…</message>` stanzas are found by string search, only the start
// tag's `id` and `type` are read. The send time travels in the id, so latency
// needs no per-message state on the sender.

/** What the benchmark puts into a message id. */
export interface BenchId {
  step: number;
  seq: number;
  /** Send time, integer microseconds on the generator's monotonic clock. */
  sentUs: number;
}

/** Encodes a benchmark message id (`q<step>-<seq>-<sentUs>`; XML-safe). */
export function encodeBenchId(id: BenchId): string {
  return `q${id.step}-${id.seq}-${id.sentUs}`;
}

/** Decodes an id made by {@link encodeBenchId}; undefined for anything else. */
export function decodeBenchId(s: string | undefined): BenchId | undefined {
  if (!s || s.charCodeAt(0) !== 113 /* q */) return undefined;
  const a = s.indexOf('-', 1);
  const b = a < 0 ? -1 : s.indexOf('-', a + 1);
  if (b < 0) return undefined;
  const step = Number(s.slice(1, a));
  const seq = Number(s.slice(a + 1, b));
  const sentUs = Number(s.slice(b + 1));
  if (!Number.isInteger(step) || !Number.isInteger(seq) || !Number.isInteger(sentUs) || a === 1 || b === a + 1 || b === s.length - 1) return undefined;
  return { step, seq, sentUs };
}

/** Value of attribute `name` in a start tag (either quote style), undefined when absent. */
export function attrValue(tag: string, name: string): string | undefined {
  let from = 0;
  for (;;) {
    const at = tag.indexOf(name + '=', from);
    if (at < 0) return undefined;
    const before = tag.charCodeAt(at - 1);
    // must be a whole attribute name: preceded by whitespace
    if (before === 32 || before === 9 || before === 10 || before === 13) {
      const q = tag[at + name.length + 1];
      if (q !== '"' && q !== "'") return undefined;
      const end = tag.indexOf(q, at + name.length + 2);
      return end < 0 ? undefined : tag.slice(at + name.length + 2, end);
    }
    from = at + 1;
  }
}

const END = '</message>';

/**
 * Finds complete message stanzas in a stream of text chunks and reports each one's
 * `id` and whether it is `type='error'`. Text between stanzas (whitespace
 * keepalives, other stanzas) is dropped; a partial stanza waits for the next chunk.
 */
export class MessageScanner {
  private tail = '';
  /** Messages seen. */
  count = 0;

  constructor(private readonly onMessage: (id: string | undefined, isError: boolean) => void) {}

  push(chunk: string): void {
    const s = this.tail ? this.tail + chunk : chunk;
    let pos = 0;
    for (;;) {
      const end = s.indexOf(END, pos);
      if (end < 0) break;
      const start = s.lastIndexOf('<message', end);
      if (start >= pos) {
        const gt = s.indexOf('>', start);
        const tag = s.slice(start, gt);
        this.count += 1;
        this.onMessage(attrValue(tag, 'id'), attrValue(tag, 'type') === 'error');
      }
      pos = end + END.length;
    }
    const rest = pos ? s.slice(pos) : s;
    const open = rest.indexOf('<message');
    // keep a possible partial "<message" at the end, drop everything else that is not a stanza start
    this.tail = open >= 0 ? rest.slice(open) : rest.slice(-8);
  }
}
