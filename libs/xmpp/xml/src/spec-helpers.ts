// Test helpers shared by the parser specs (not part of the package API).
import { Element, StreamHeader, StreamParser, StreamParserOptions, XmlError } from './index';

/** A typical client stream header, XML declaration included. */
export const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0' xml:lang='en'>";

/** Records parser events as short strings, stanzas serialised. */
export class Recorder {
  events: string[] = [];
  headers: StreamHeader[] = [];
  stanzas: Element[] = [];
  errors: XmlError[] = [];
  readonly parser: StreamParser;

  constructor(opts?: Partial<StreamParserOptions>) {
    this.parser = new StreamParser(
      {
        streamStart: (h) => {
          this.headers.push(h);
          this.events.push(`start ${h.prefix}:${h.name} ${h.defaultNs}`);
        },
        stanza: (el) => {
          this.stanzas.push(el);
          this.events.push(el.toString());
        },
        streamEnd: () => this.events.push('end'),
        error: (e) => {
          this.errors.push(e);
          this.events.push(`error ${e.condition}`);
        },
      },
      opts,
    );
  }

  write(...chunks: Array<string | Buffer>): this {
    for (const c of chunks) this.parser.write(c);
    return this;
  }

  get error(): string | undefined {
    return this.errors[0]?.condition;
  }
}


/** Splits `buf` at the given cut points (each taken modulo its length + 1; duplicates ignored). */
export function chunked(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    out.push(buf.subarray(at, p));
    at = p;
  }
  out.push(buf.subarray(at));
  return out;
}
