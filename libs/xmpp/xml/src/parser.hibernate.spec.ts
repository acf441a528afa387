// An idle stream's tokenizer dropped between stanzas (StreamParser.hibernate) and
// rebuilt at the next write must change nothing a handler sees.
import fc from 'fast-check';
import { x } from './index';
import { chunked, HEADER, Recorder } from './spec-helpers';

const RUNS = { numRuns: 400, seed: Number(process.env.FUZZ_SEED ?? 20261204) };

/** Feeds chunks, trying to hibernate after each; returns the events and how many times it did. */
function feed(r: Recorder, chunks: Array<string | Buffer>, hibernate: boolean): number {
  let slept = 0;
  for (const c of chunks) {
    r.write(c);
    if (hibernate && r.parser.hibernate()) {
      slept += 1;
      expect(r.parser.hibernating).toBe(true);
    }
  }
  return slept;
}

describe('StreamParser.hibernate', () => {
  it('drops the tokenizer between stanzas and goes on with the next ones', () => {
    const r = new Recorder();
    r.write(HEADER, "<presence/>");
    expect(r.parser.hibernate()).toBe(true);
    expect(r.parser.hibernating).toBe(true);
    r.write("<message to='a@example.com'><body>hi</body></message>");
    expect(r.parser.hibernating).toBe(false);
    r.write("  \n", '</stream:stream>');
    expect(r.errors).toEqual([]);
    expect(r.events).toEqual([
      'start stream:stream jabber:client',
      '<presence/>',
      '<message to="a@example.com"><body>hi</body></message>',
      'end',
    ]);
  });

  it('keeps the namespaces the stream header declared, default and prefixed', () => {
    const header = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' xmlns:q=\"urn:x:it's&amp;\" to='example.com' version='1.0'>";
    const stanzas = "<db:result from='a' to='b'>k</db:result><iq q:flag='1' type='get' id='1'/>";
    const awake = new Recorder().write(header, stanzas);
    const slept = new Recorder().write(header);
    expect(slept.parser.hibernate()).toBe(true);
    slept.write(stanzas);
    expect(slept.errors).toEqual([]);
    expect(slept.events).toEqual(awake.events);
    expect(slept.stanzas[1].attrs['xmlns:q']).toBe("urn:x:it's&");
  });

  it('keeps a stream element under another prefix, closed by its own name', () => {
    const header = "<s:stream xmlns='jabber:client' xmlns:s='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";
    const r = new Recorder().write(header, '<presence/>');
    expect(r.parser.hibernate()).toBe(true);
    r.write('<presence/></s:stream>');
    expect(r.events).toEqual(['start s:stream jabber:client', '<presence/>', '<presence/>', 'end']);
  });

  it('does nothing before the header, inside a stanza, after the end or an error', () => {
    const r = new Recorder();
    expect(r.parser.hibernate()).toBe(false);
    r.write(HEADER.slice(0, 30));
    expect(r.parser.hibernate()).toBe(false);
    r.write(HEADER.slice(30), '<message><body>par');
    expect(r.parser.hibernate()).toBe(false);
    r.write('tial</body></message>');
    expect(r.parser.hibernate()).toBe(true);
    r.write('</stream:stream>');
    expect(r.parser.hibernate()).toBe(false);
    const bad = new Recorder().write(HEADER, '<a></b>');
    expect(bad.error).toBe('not-well-formed');
    expect(bad.parser.hibernate()).toBe(false);
  });

  it('still counts every stanza against the size limit, and keepalives against none', () => {
    const r = new Recorder({ maxStanzaBytes: 100 });
    r.write(HEADER, '<presence/>');
    for (let i = 0; i < 5; i++) {
      expect(r.parser.hibernate()).toBe(true);
      r.write(' '.repeat(80));
    }
    expect(r.parser.hibernate()).toBe(true);
    r.write(`<message><body>${'x'.repeat(60)}</body></message>`);
    expect(r.errors).toEqual([]);
    expect(r.parser.hibernate()).toBe(true);
    r.write(`<message><body>${'x'.repeat(80)}`);
    r.write('</body></message>');
    expect(r.error).toBe('policy-violation');
    expect(r.stanzas).toHaveLength(2);
  });

  it('restarts cleanly after a hibernation (reset for a new stream)', () => {
    const r = new Recorder().write(HEADER, '<presence/>');
    expect(r.parser.hibernate()).toBe(true);
    r.parser.reset();
    expect(r.parser.hibernating).toBe(false);
    r.write(HEADER, '<presence/>');
    expect(r.events).toEqual(['start stream:stream jabber:client', '<presence/>', 'start stream:stream jabber:client', '<presence/>']);
  });

  it('changes no event for well-formed stanzas, whatever the chunks and wherever it sleeps', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/);
    const text = fc.string({ unit: fc.constantFrom('a', 'é', '<', '&', "'", ' ', '\n', '😀'), maxLength: 12 });
    const stanza = fc.tuple(name, text, fc.constantFrom('', ' ', '\n\t ')).map(([n, t, ws]) => x(n, { a: t }, x('c', null, t)).toString() + ws);
    fc.assert(
      fc.property(fc.array(stanza, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), (stanzas, cuts, close) => {
        const bytes = Buffer.from(HEADER + stanzas.join('') + (close ? '</stream:stream>' : ''));
        const chunks = chunked(bytes, cuts);
        const awake = new Recorder();
        feed(awake, chunks, false);
        const slept = new Recorder();
        feed(slept, chunks, true);
        expect(slept.events).toEqual(awake.events);
        expect(awake.errors).toEqual([]);
      }),
      RUNS,
    );
  });

  it('reports the same error conditions on arbitrary input after sleeping', () => {
    const markup = fc.string({ unit: fc.constantFrom('<', '>', '/', '=', "'", '?', '!', 'a', 'x:', 'stream', ' ', '&', ';', '<presence/>', '</stream:stream>'), maxLength: 80 });
    fc.assert(
      fc.property(fc.array(markup, { maxLength: 6 }), (pieces) => {
        const awake = new Recorder({ maxStanzaBytes: 200 });
        feed(awake, [HEADER, '<presence/>', ...pieces], false);
        const slept = new Recorder({ maxStanzaBytes: 200 });
        feed(slept, [HEADER, '<presence/>', ...pieces], true);
        expect(slept.events).toEqual(awake.events);
      }),
      RUNS,
    );
  });
});
