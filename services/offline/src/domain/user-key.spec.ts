import { derivedEventId, deliveryFailedEventId } from './event-id';
import { domainOf, userKey } from './user-key';

describe('user keys', () => {
  it('are the bare JID, case-folded', () => {
    expect(userKey('alicE@LocalHost/phone')).toBe('alice@localhost');
    expect(userKey('alice@localhost')).toBe('alice@localhost');
  });
  it('know the domain of a JID', () => {
    expect(domainOf('alice@example.org/a/b')).toBe('example.org');
    expect(domainOf('example.org')).toBe('example.org');
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
