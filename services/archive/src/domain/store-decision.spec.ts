import type { ArchivePrefsV1, ArchiveStoreV1 } from '@parley/contracts';
import { decideStore, malformed, targetOf } from './store-decision';

const NOW = new Date('2025-01-31T12:00:00Z');
const policy = { now: NOW, retentionMs: 30 * 24 * 3600 * 1000, maxStanzaBytes: 4096 };
const prefs = (p: Partial<ArchivePrefsV1> = {}): ArchivePrefsV1 => ({ default: 'always', always: [], never: [], ...p });
const cmd = (c: Partial<ArchiveStoreV1> = {}): ArchiveStoreV1 => ({
  owner: 'alicE@localhost',
  with: 'bob@localhost',
  direction: 'in',
  stanzaId: 'sid-1',
  timestamp: '2025-01-31T11:59:00.000Z',
  stanza: "<message from='bob@localhost/phone' to='alice@localhost' type='chat'><body>hi</body></message>",
  type: 'chat',
  hasBody: true,
  inRoster: true,
  fromFullJid: 'bob@localhost/phone',
  toJid: 'alice@localhost',
  ...c,
});

describe('deciding whether a store command is archived', () => {
  it('archives a chat message with a body when the owner opted in', () => {
    const d = decideStore(cmd(), prefs(), policy);
    expect(d).toEqual({
      store: true,
      record: {
        owner: 'alice@localhost',
        stanzaId: 'sid-1',
        ts: new Date('2025-01-31T11:59:00.000Z'),
        withBare: 'bob@localhost',
        withFull: 'bob@localhost/phone',
        direction: 'in',
        stanza: cmd().stanza,
      },
    });
  });

  it('drops everything for a user at the default (never)', () => {
    expect(decideStore(cmd(), { default: 'never', always: [], never: [] }, policy)).toEqual({ store: false, reason: 'prefs' });
  });

  it('follows the roster default with the inRoster flag', () => {
    expect(decideStore(cmd({ inRoster: true }), prefs({ default: 'roster' }), policy).store).toBe(true);
    expect(decideStore(cmd({ inRoster: false }), prefs({ default: 'roster' }), policy)).toEqual({ store: false, reason: 'prefs' });
  });

  it('matches list entries against the peer address: to for outgoing, from for incoming', () => {
    const p = prefs({ default: 'never', always: ['bob@localhost/laptop'] });
    expect(decideStore(cmd({ direction: 'in', fromFullJid: 'bob@localhost/laptop' }), p, policy).store).toBe(true);
    expect(decideStore(cmd({ direction: 'in', fromFullJid: 'bob@localhost/phone' }), p, policy).store).toBe(false);
    const out = cmd({ direction: 'out', fromFullJid: 'alice@localhost/home', toJid: 'bob@localhost/laptop' });
    expect(decideStore(out, p, policy).store).toBe(true);
    expect(targetOf(out)).toBe('bob@localhost/laptop');
    expect(targetOf(cmd({ direction: 'out', toJid: undefined }))).toBe('bob@localhost');
    expect(targetOf(cmd({ direction: 'in', fromFullJid: 'eve@localhost/x' }))).toBe('bob@localhost');
  });

  it.each([
    ['groupchat', true],
    ['headline', true],
    ['error', true],
    ['chat', false],
    ['normal', false],
  ] as const)('keeps only chat/normal messages with a body (type %s, hasBody %s)', (type, hasBody) => {
    expect(decideStore(cmd({ type, hasBody }), prefs(), policy)).toEqual({ store: false, reason: 'not-archivable' });
  });

  it('drops a stanza above the size limit and one older than the retention', () => {
    expect(decideStore(cmd({ stanza: `<message>${'x'.repeat(5000)}</message>` }), prefs(), policy)).toEqual({ store: false, reason: 'too-large' });
    expect(decideStore(cmd({ timestamp: '2024-12-01T00:00:00Z' }), prefs(), policy)).toEqual({ store: false, reason: 'expired' });
    // Only what the owner asked to archive counts as refused: otherwise it is the owner's choice.
    expect(decideStore(cmd({ stanza: `<message>${'x'.repeat(5000)}</message>` }), prefs({ default: 'never' }), policy)).toEqual({ store: false, reason: 'prefs' });
  });

  it('names what is malformed', () => {
    expect(malformed(cmd())).toBeUndefined();
    expect(malformed(cmd({ owner: 'alice@localhost/res' }))).toMatch(/owner/);
    expect(malformed(cmd({ direction: 'sideways' as never }))).toMatch(/direction/);
    expect(malformed(cmd({ stanzaId: '' }))).toMatch(/stanzaId/);
    expect(malformed(cmd({ timestamp: 'yesterday' }))).toMatch(/timestamp/);
    expect(malformed(undefined)).toBe('not an object');
    expect(decideStore(cmd({ hasBody: undefined as never }), prefs(), policy)).toEqual({ store: false, reason: 'malformed' });
  });
});
