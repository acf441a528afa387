// RFC 7622 JIDs: parsing, preparation, and the value API.
import { Jid, JidError, makeJid, parseJid, tryParseJid } from './index';

describe('parseJid accepts the valid examples of RFC 7622 §3.5', () => {
  it.each([
    ['juliet@example.com', 'juliet', 'example.com', ''],
    ['juliet@example.com/foo', 'juliet', 'example.com', 'foo'],
    ['juliet@example.com/foo bar', 'juliet', 'example.com', 'foo bar'],
    ['juliet@example.com/foo@bar', 'juliet', 'example.com', 'foo@bar'],
    ['foo\\20bar@example.com', 'foo\\20bar', 'example.com', ''],
    ['fussball@example.com', 'fussball', 'example.com', ''],
    ['fußball@example.com', 'fußball', 'example.com', ''],
    ['π@example.com', 'π', 'example.com', ''],
    ['Σ@example.com/foo', 'σ', 'example.com', 'foo'],
    ['σ@example.com/foo', 'σ', 'example.com', 'foo'],
    ['ς@example.com/foo', 'ς', 'example.com', 'foo'],
    ['king@example.com/♚', 'king', 'example.com', '♚'],
    ['example.com', '', 'example.com', ''],
    ['example.com/foobar', '', 'example.com', 'foobar'],
    ['a.example.com/b@example.net', '', 'a.example.com', 'b@example.net'],
  ])('%s', (input, local, domain, resource) => {
    const j = parseJid(input);
    expect([j.local, j.domain, j.resource]).toEqual([local, domain, resource]);
  });
});

describe('parseJid rejects the invalid examples of RFC 7622 §3.5', () => {
  it.each([
    ['"juliet"@example.com', 'quotation marks in the localpart'],
    ['foo bar@example.com', 'a space in the localpart'],
    ['juliet@example.com/', 'an empty resourcepart'],
    ['@example.com/', 'an empty localpart and resourcepart'],
    ['henryⅣ@example.com', 'a compatibility character (ROMAN NUMERAL FOUR) in the localpart'],
    ['♚@example.com', 'a symbol in the localpart'],
    ['juliet@', 'an empty domainpart'],
    ['/foobar', 'an empty domainpart before a resource'],
  ])('%s (%s)', (input) => {
    expect(() => parseJid(input)).toThrow(JidError);
  });
});

describe('parseJid edge cases', () => {
  it.each([
    ['', 'the empty string'],
    ['@example.com', 'an empty localpart'],
    ['user@', 'an empty domainpart'],
    ['a@b/', 'an empty resourcepart'],
    ['a@b@c', 'a second @ in the domainpart'],
    ["o'brien@example.com", 'an apostrophe in the localpart'],
    ['a&b@example.com', 'an ampersand in the localpart'],
    ['a<b@example.com', 'a less-than sign in the localpart'],
    ['a:b@example.com', 'a colon in the localpart'],
    ['tab\t@example.com', 'a control character in the localpart'],
    ['juliet@example.com/a\u0000b', 'NUL in the resourcepart'],
    ['juliet@example.com/a\u200bb', 'a zero-width space (default ignorable) in the resourcepart'],
    ['juliet@exa mple.com', 'a space in the domainpart'],
    ['juliet@exa_mple..com', 'an empty domain label'],
    ['juliet@-example.com', 'a label starting with a hyphen'],
    ['juliet@1.2.3', 'a malformed IPv4 address'],
    ['juliet@[::1', 'an unterminated IPv6 literal'],
    ['juliet@[not-ipv6]', 'an IPv6 literal that is not an address'],
    [`${'a'.repeat(1024)}@example.com`, 'a 1024-byte localpart'],
    [`juliet@example.com/${'r'.repeat(1024)}`, 'a 1024-byte resourcepart'],
    [`${'é'.repeat(512)}@example.com`, 'a localpart of 512 two-byte characters'],
  ])('rejects %j (%s)', (input) => {
    expect(() => parseJid(input)).toThrow(JidError);
    expect(tryParseJid(input)).toBeUndefined();
  });

  it('accepts parts of exactly 1023 bytes', () => {
    const j = parseJid(`${'a'.repeat(1023)}@example.com/${'é'.repeat(511)}x`);
    expect(j.local).toHaveLength(1023);
    expect(Buffer.byteLength(j.resource)).toBe(1023);
  });

  it('splits at the first slash, then at the first @ before it', () => {
    expect(parseJid('a@b/c/d@e').resource).toBe('c/d@e');
    expect(parseJid('b/c@d').local).toBe('');
  });
});

describe('preparation', () => {
  it('case-folds the localpart and domainpart, so alicE@Localhost equals alice@localhost', () => {
    expect(parseJid('alicE@Localhost').equals(parseJid('alice@localhost'))).toBe(true);
    expect(parseJid('alicE@Localhost').toString()).toBe('alice@localhost');
  });

  it('preserves the case of the resourcepart', () => {
    expect(parseJid('a@b/Balcony').resource).toBe('Balcony');
    expect(parseJid('a@b/Balcony').equals(parseJid('a@b/balcony'))).toBe(false);
  });

  it('maps full-width characters in the localpart to their ASCII forms', () => {
    expect(parseJid('ＪＵＬＩＥＴ@example.com').local).toBe('juliet');
  });

  it('normalises to NFC, so composed and decomposed forms are the same JID', () => {
    const composed = parseJid('café@example.com/résumé');
    const decomposed = parseJid('cafe\u0301@example.com/re\u0301sume\u0301');
    expect(decomposed.equals(composed)).toBe(true);
    expect(decomposed.local).toBe('café');
  });

  it('maps non-ASCII spaces in the resourcepart to U+0020', () => {
    expect(parseJid('a@b/foo\u00a0bar\u3000baz').resource).toBe('foo bar baz');
  });

  it('accepts unicode in all parts', () => {
    const j = parseJid('日本語@例え.テスト/端末 😀');
    expect(j.local).toBe('日本語');
    expect(j.domain).toBe('例え.テスト');
    expect(j.resource).toBe('端末 😀');
  });

  it('brings IDNA domains to U-labels, so A-label and U-label forms are equal', () => {
    expect(parseJid('user@xn--bcher-kva.example').domain).toBe('bücher.example');
    expect(parseJid('user@BÜCHER.example').domain).toBe('bücher.example');
    expect(parseJid('user@xn--bcher-kva.example').equals(parseJid('user@bücher.example'))).toBe(true);
  });

  it('removes one trailing dot from the domainpart', () => {
    expect(parseJid('juliet@example.com./balcony').toString()).toBe('juliet@example.com/balcony');
  });

  it('accepts IPv4 and IPv6 literals as domainparts', () => {
    expect(parseJid('a@192.0.2.1').domain).toBe('192.0.2.1');
    expect(parseJid('a@[2001:DB8::1]/r').domain).toBe('[2001:db8::1]');
  });

  it('is idempotent', () => {
    for (const s of ['Σ@Example.com/Foo', 'ＪＵＬＩＥＴ@例え.テスト/a\u00a0b', 'fußball@xn--bcher-kva.example']) {
      const once = parseJid(s).toString();
      expect(parseJid(once).toString()).toBe(once);
    }
  });
});

describe('Jid', () => {
  const full = parseJid('juliet@example.com/balcony');

  it('gives its bare JID, and itself when already bare', () => {
    expect(full.bare.toString()).toBe('juliet@example.com');
    expect(full.bare.isBare).toBe(true);
    expect(full.isBare).toBe(false);
    expect(full.bare).toEqual(parseJid('juliet@example.com'));
    const bare = parseJid('juliet@example.com');
    expect(bare.bare).toBe(bare);
  });

  it('gives its bare string', () => {
    expect(full.bareString).toBe('juliet@example.com');
    expect(parseJid('example.com/x').bareString).toBe('example.com');
  });

  it('swaps the resource, preparing it', () => {
    expect(full.withResource('Orchard\u00a0Gate').toString()).toBe('juliet@example.com/Orchard Gate');
    expect(full.withResource('').toString()).toBe('juliet@example.com');
    expect(() => full.withResource('bad\u0000')).toThrow(JidError);
  });

  it('serialises to its string in JSON', () => {
    expect(JSON.stringify({ from: full })).toBe('{"from":"juliet@example.com/balcony"}');
  });

  it('compares by value', () => {
    expect(full.equals(makeJid('Juliet', 'EXAMPLE.com', 'balcony'))).toBe(true);
    expect(full.equals(full.bare)).toBe(false);
    expect(full.bare.equals(makeJid('juliet', 'example.com'))).toBe(true);
  });

  it('is built by makeJid and the constructor with the same preparation as parseJid', () => {
    expect(makeJid('ALICE', 'Example.COM').toString()).toBe('alice@example.com');
    expect(new Jid('', 'example.com', 'r').toString()).toBe('example.com/r');
    expect(() => makeJid('a@b', 'example.com')).toThrow(JidError);
    expect(() => makeJid('alice', '')).toThrow(JidError);
  });
  it('prepares a repeated address once and answers it the same, errors included', () => {
    const a = parseJid('Juliet@Example.COM/balcony');
    expect(parseJid('Juliet@Example.COM/balcony')).toBe(a);
    expect(parseJid('juliet@example.com/balcony')).toEqual(a);
    expect(a.toString()).toBe('juliet@example.com/balcony');
    for (let i = 0; i < 2; i++) expect(() => parseJid('@example.com')).toThrow(JidError);
    // past the bound the memo starts over; answers stay right
    for (let i = 0; i < 10_050; i++) parseJid(`u${i}@example.com`);
    expect(parseJid('Juliet@Example.COM/balcony')).toEqual(a);
  });
});
