import { envelope } from '@parley/contracts';
import { MAX_STORE_HAND_OFFS } from '@parley/contracts';
import { readHandOff, readHandOffs } from './hand-off';

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

  describe('several in one envelope (version 2)', () => {
    it('reads each with its own id, in order, and each one alone', () => {
      const e = envelope('offline.cmd.store', { handOffs: [{ ...data, id: 'a' }, { ...data, id: 'b', to: '' }, { ...data, id: 'c', to: 'carol@localhost', arrivedAt: 'never' }] }, { version: 2, occurredAt: new Date('2025-05-01T00:00:00Z') });
      const r = readHandOffs(e, now);
      expect(r.map((x) => (x.ok ? x.handOff.id : x.problem))).toEqual(['a', 'to is not a bare JID', 'c']);
      expect(r[2].ok && r[2].handOff.user).toBe('carol@localhost');
      expect(r[2].ok && r[2].handOff.arrivedAt.toISOString()).toBe('2025-05-01T00:00:00.000Z');
    });

    it('refuses a hand-off without its own id, even when the envelope has one', () => {
      const r = readHandOffs(envelope('offline.cmd.store', { handOffs: [data] }, { version: 2, id: 'batch' }), now);
      expect(r).toEqual([{ ok: false, problem: 'hand-off id missing or too long' }]);
    });

    it.each([
      ['no list', {}],
      ['an empty list', { handOffs: [] }],
      ['a list past the bound', { handOffs: Array.from({ length: MAX_STORE_HAND_OFFS + 1 }, (_, i) => ({ ...data, id: `h${i}` })) }],
    ])('gives one problem for %s', (_what, d) => {
      const r = readHandOffs(envelope('offline.cmd.store', d, { version: 2 }), now);
      expect(r).toHaveLength(1);
      expect(r[0].ok).toBe(false);
    });

    it('reads a version 1 envelope as its one hand-off', () => {
      const r = readHandOffs(envelope('offline.cmd.store', data, { id: 'h1' }), now);
      expect(r).toMatchObject([{ ok: true, handOff: { id: 'h1' } }]);
    });
  });
});
