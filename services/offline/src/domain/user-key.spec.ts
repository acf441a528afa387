import { derivedEventId, deliveryFailedEventId } from './event-id';
import { userKey } from './user-key';

describe('user keys', () => {
  it('are the prepared bare JID (RFC 7622: case-folded localpart and domain, NFC)', () => {
    expect(userKey('alicE@LocalHost/phone')).toBe('alice@localhost');
    expect(userKey('alice@localhost')).toBe('alice@localhost');
    expect(userKey('Ame\u0301lie@localhost')).toBe('am\u00e9lie@localhost');
  });
  it('prepare with RFC 7622 rules, not plain lower-casing', () => {
    // PRECIS width mapping: a fullwidth 'Ａ' is 'a' (toLowerCase would make it 'ａ', another user)
    expect(userKey('\uFF21lice@localhost')).toBe('alice@localhost');
  });
  it('are only made of account JIDs', () => {
    expect(userKey('@localhost')).toBeUndefined();
    expect(userKey('a@b@c')).toBeUndefined();
    expect(userKey('localhost')).toBeUndefined();
  });
});

describe('derived event ids', () => {
  it('are stable UUIDs per name and differ between names', () => {
    const a = deliveryFailedEventId('x');
    expect(a).toBe(deliveryFailedEventId('x'));
    expect(a).not.toBe(deliveryFailedEventId('y'));
    expect(derivedEventId('x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
