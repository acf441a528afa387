// Micro benchmark of the stream parser on a realistic mix of small client
// stanzas fed as socket-sized buffers. Not exported from the package index;
// the project benchmark imports it directly.

import { StreamParser } from './parser';

const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' " +
  "to='example.com' version='1.0' xml:lang='en'>";

function stanza(i: number): string {
  switch (i % 4) {
    case 0:
      return (
        `<message to='juliet@example.com' from='romeo@example.net/orchard' type='chat' id='m${i}'>` +
        `<body>Art thou not Romeo, and a Montague? #${i}</body>` +
        "<active xmlns='http://jabber.org/protocol/chatstates'/></message>"
      );
    case 1:
      return `<presence id='p${i}'><show>away</show><status>Gone to the balcony — back soon</status><priority>5</priority></presence>`;
    case 2:
      return `<iq type='get' id='ping${i}' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>`;
    default:
      return `<r xmlns='urn:xmpp:sm:3'/>`;
  }
}

function buildInput(n: number, chunkBytes: number): Buffer[] {
  const parts: string[] = [HEADER];
  for (let i = 0; i < n; i++) parts.push(stanza(i));
  const all = Buffer.from(parts.join(''), 'utf8');
  const chunks: Buffer[] = [];
  for (let off = 0; off < all.length; off += chunkBytes) chunks.push(all.subarray(off, off + chunkBytes));
  return chunks;
}

function run(chunks: Buffer[]): number {
  let count = 0;
  const parser = new StreamParser({
    streamStart() {},
    stanza() {
      count++;
    },
    streamEnd() {},
    error(err) {
      throw err;
    },
  });
  for (const c of chunks) parser.write(c);
  return count;
}

/**
 * Parses `n` small stanzas (a mix of message, presence, iq and SM nonzas)
 * delivered in 16 KiB buffers and reports the throughput. The input is built
 * before timing starts; two warm-up passes let the JIT settle, then the best
 * of `rounds` timed passes is reported (the machine may be shared).
 */
export function benchParser(n: number, rounds = 3): { stanzasPerSecond: number; bytesPerSecond: number; stanzas: number } {
  const warm = buildInput(Math.min(n, 50000), 16384);
  run(warm);
  run(warm);
  const chunks = buildInput(n, 16384);
  const bytes = chunks.reduce((sum, c) => sum + c.length, 0);
  let best = Infinity;
  for (let r = 0; r < Math.max(1, rounds); r++) {
    const t0 = process.hrtime.bigint();
    const count = run(chunks);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (count !== n) throw new Error(`benchParser: expected ${n} stanzas, parsed ${count}`);
    best = Math.min(best, seconds);
  }
  return { stanzasPerSecond: Math.round(n / best), bytesPerSecond: Math.round(bytes / best), stanzas: n };
}
