import { parseJid } from './jid';
import { bareOf, domainOf, localOf, resourceOf } from './parts';

describe('JID string parts (RFC 7622 §3.1)', () => {
  it.each([
    // jid,                          bare,                 local,       domain,          resource
    ['juliet@example.com/balcony', 'juliet@example.com', 'juliet', 'example.com', 'balcony'],
    ['juliet@example.com', 'juliet@example.com', 'juliet', 'example.com', undefined],
    ['example.com', 'example.com', undefined, 'example.com', undefined],
    ['example.com/service', 'example.com', undefined, 'example.com', 'service'],
    // the resource starts at the first '/', and may hold '/' and '@' itself
    ['juliet@example.com/a/b@c', 'juliet@example.com', 'juliet', 'example.com', 'a/b@c'],
    ['example.com/user@host', 'example.com', undefined, 'example.com', 'user@host'],
  ])('splits %s', (jid, bare, local, domain, resource) => {
    expect(bareOf(jid)).toBe(bare);
    expect(localOf(jid)).toBe(local);
    expect(domainOf(jid)).toBe(domain);
    expect(resourceOf(jid)).toBe(resource);
  });

  it('agrees with parseJid on prepared JIDs', () => {
    for (const s of ['alice@localhost/phone', 'bob@example.org', 'conference.example.org/room/x', 'é@xn--bcher-kva.example/ß']) {
      const j = parseJid(s);
      const prepared = j.toString();
      expect(bareOf(prepared)).toBe(j.bareString);
      expect(domainOf(prepared)).toBe(j.domain);
      expect(localOf(prepared) ?? '').toBe(j.local);
      expect(resourceOf(prepared) ?? '').toBe(j.resource);
    }
  });
});
