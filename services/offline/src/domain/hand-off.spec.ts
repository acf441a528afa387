import { envelope } from '@parley/contracts';
import { readHandOff } from './hand-off';

const now = new Date('2025-05-05T00:00:00.000Z');
const data = {
  to: 'alicE@localhost',
  from: 'bOb@localhost/phone',
  type: 'chat' as const,
  stanzaId: 'm1',
  noStore: false,
  arrivedAt: '2025-05-04T23:59:59.123Z',
  stanza: '<message/>',
};

describe('reading a hand-off', () => {
  it('keys it by the recipient bare JID and keeps the gateway arrival time', () => {
    const r = readHandOff(envelope('offline.cmd.store', data, { id: 'h1' }), now);
    expect(r).toMatchObject({ ok: true, handOff: { id: 'h1', user: 'alice@localhost', type: 'chat', stanzaId: 'm1', chatStateOnly: false } });
    expect(r.ok && r.handOff.arrivedAt.toISOString()).toBe('2025-05-04T23:59:59.123Z');
  });

  it('treats a missing type as normal and falls back to the envelope time for a bad arrival time', () => {
    const e = envelope('offline.cmd.store', { ...data, type: undefined, arrivedAt: 'yesterday' }, { occurredAt: new Date('2025-05-01T00:00:00Z') });
    const r = readHandOff(e, now);
    expect(r.ok && r.handOff.type).toBe('normal');
    expect(r.ok && r.handOff.arrivedAt.toISOString()).toBe('2025-05-01T00:00:00.000Z');
  });

  it.each([
    ['no recipient', { ...data, to: '' }],
    ['a recipient without a local part', { ...data, to: 'localhost' }],
    ['no sender', { ...data, from: undefined }],
    ['no stanza', { ...data, stanza: undefined }],
    ['a NUL character (never storable in XML or Postgres)', { ...data, stanza: '<message>\u0000</message>' }],
  ])('rejects a hand-off with %s', (_what, d) => {
    expect(readHandOff(envelope('offline.cmd.store', d as never), now).ok).toBe(false);
  });
});
