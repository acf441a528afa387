import { ALL_STREAMS, envelope, jidFromToken, jidToken } from './index';

describe('JID tokens', () => {
  it('round-trip any JID and never contain NATS separators or wildcards', () => {
    for (const jid of ['alice@localhost', 'a.b@sub.example.org/res.with.dots', 'ünïcødé@例え.テスト/>*', '']) {
      const t = jidToken(jid);
      expect(t).not.toMatch(/[.*> \s]/);
      expect(jidFromToken(t)).toBe(jid);
    }
  });
});

describe('event envelopes', () => {
  it('carry an id, the type, a version and the time', () => {
    const e = envelope('gateway.evt.account-deleted', { jid: 'a@b', reason: 'user' }, { causationId: 'c1' });
    expect(e).toMatchObject({ type: 'gateway.evt.account-deleted', version: 1, causationId: 'c1', data: { jid: 'a@b' } });
    expect(e.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(e.occurredAt)).not.toBeNaN();
    expect(envelope('x', {}).id).not.toBe(e.id);
  });
});

describe('streams', () => {
  it('have unique names and subjects that no two streams share', () => {
    const names = ALL_STREAMS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    const subjects = ALL_STREAMS.flatMap((s) => s.subjects);
    expect(new Set(subjects).size).toBe(subjects.length);
  });

  it('keep message content only in work-queue streams', () => {
    for (const s of ALL_STREAMS.filter((x) => x.name.endsWith('_INBOX'))) expect(s.retention).toBe('workqueue');
  });
});
