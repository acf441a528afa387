import type { ArchiveStoreV1 } from '@parley/contracts';
import { parseJid } from '@parley/jid';
import { parseXml } from '@parley/xml';
import { stanzaId } from '@parley/xep';
import { Session, SlotMap } from '../../host';
import { SENDER_ARCHIVE_ID } from './api';
import { Archiver } from './archiver';
import { ArchivePrefsProjection } from './prefs-projection';

const alice = 'alice@localhost';
const bob = 'bob@localhost';
const dest = (jid: string) => ({ jid: parseJid(jid), local: true });
const session = (full: string) => ({ full, bare: full.split('/')[0], jid: parseJid(full) }) as unknown as Session;
const chat = (from: string, to: string, extra = '') => parseXml(`<message from='${from}' to='${to}' type='chat' id='m1'><body>hi</body>${extra}</message>`);

function setup(opts: { roster?: (user: string, peer: string) => boolean | Promise<boolean> } = {}) {
  const projection = new ArchivePrefsProjection();
  const published: ArchiveStoreV1[] = [];
  let n = 0;
  const archiver = new Archiver({
    projection,
    inRoster: opts.roster ?? (() => false),
    publish: (c) => published.push(c),
    now: () => new Date('2026-11-23T10:00:00.000Z'),
    newId: () => `id-${++n}`,
  });
  /** Routes a message as the router does: inbound (local recipient), then sent (from a client), one data map for both. */
  const route = async (from: string, to: string, msg = chat(from, to), fromClient = true) => {
    const data = new SlotMap();
    await archiver.inbound(msg, dest(to), fromClient, data);
    if (fromClient) archiver.sent(session(from), msg, dest(to), data);
    return { msg, data };
  };
  return { projection, published, archiver, route };
}

describe('Archiver (XEP-0313 §3.5 on the routing path)', () => {
  it('does nothing for users who never opted in, but still drops ids forged in the recipient name', async () => {
    const { published, route } = setup();
    const { msg, data } = await route(`${alice}/a`, `${bob}/b`, chat(`${alice}/a`, `${bob}/b`, `<stanza-id xmlns='urn:xmpp:sid:0' by='${bob}' id='forged'/><stanza-id xmlns='urn:xmpp:sid:0' by='room@muc' id='kept'/>`));
    expect(published).toEqual([]);
    expect(stanzaId.allFrom(msg)).toEqual([{ by: 'room@muc', id: 'kept' }]);
    expect(data.get(SENDER_ARCHIVE_ID)).toBeUndefined();
  });

  it('archives both sides per their own preferences, the recipient id on the delivered stanza only', async () => {
    const { projection, published, route } = setup();
    projection.apply({ jid: alice, default: 'always', always: [], never: [], version: 1 });
    projection.apply({ jid: bob, default: 'always', always: [], never: [], version: 1 });
    const { msg, data } = await route(`${alice}/a`, `${bob}/b`);
    expect(stanzaId.allFrom(msg)).toEqual([{ by: bob, id: 'id-1' }]);
    expect(data.get(SENDER_ARCHIVE_ID)).toBe('id-2');
    expect(published).toEqual([
      expect.objectContaining({ owner: bob, with: alice, direction: 'in', stanzaId: 'id-1', type: 'chat', hasBody: true, fromFullJid: `${alice}/a`, toJid: `${bob}/b` }),
      expect.objectContaining({ owner: alice, with: bob, direction: 'out', stanzaId: 'id-2', fromFullJid: `${alice}/a`, toJid: `${bob}/b` }),
    ]);
    for (const p of published) expect(p.stanza).not.toContain('stanza-id');
    expect(published[0].timestamp).toBe('2026-11-23T10:00:00.000Z');
  });

  it('archives a message to oneself once, as outgoing, sharing the id with the sent carbons', async () => {
    const { projection, published, route } = setup();
    projection.apply({ jid: alice, default: 'always', always: [], never: [], version: 1 });
    const { data } = await route(`${alice}/a`, alice);
    expect(published).toEqual([expect.objectContaining({ owner: alice, with: alice, direction: 'out', stanzaId: 'id-1' })]);
    expect(data.get(SENDER_ARCHIVE_ID)).toBe('id-1');
  });

  it('keeps the id of a message the server routes again, without archiving it twice', async () => {
    const { projection, published, route } = setup();
    projection.apply({ jid: bob, default: 'always', always: [], never: [], version: 1 });
    const { msg: first } = await route(`${alice}/a`, `${bob}/b`);
    const again = parseXml(first.toString());
    again.attrs.to = bob;
    await route(`${alice}/a`, bob, again, false);
    expect(published).toHaveLength(1);
    expect(stanzaId.allFrom(again)).toEqual([{ by: bob, id: 'id-1' }]);
  });

  it('archives only chat/normal messages with a body that are not marked no-store', async () => {
    const { projection, published, route } = setup();
    projection.apply({ jid: bob, default: 'always', always: [], never: [], version: 1 });
    await route(`${alice}/a`, bob, parseXml(`<message from='${alice}/a' to='${bob}' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`));
    await route(`${alice}/a`, bob, parseXml(`<message from='${alice}/a' to='${bob}' type='headline'><body>x</body></message>`));
    await route(`${alice}/a`, bob, chat(`${alice}/a`, bob, `<no-store xmlns='urn:xmpp:hints'/>`));
    await route(`${alice}/a`, bob, chat(`${alice}/a`, bob, `<no-permanent-store xmlns='urn:xmpp:hints'/>`));
    expect(published).toEqual([]);
    await route(`${alice}/a`, bob, parseXml(`<message from='${alice}/a' to='${bob}'><body>normal</body></message>`));
    expect(published).toEqual([expect.objectContaining({ type: 'normal' })]);
  });

  it('applies the lists and asks the roster only for roster defaults', async () => {
    const asked: string[] = [];
    const { projection, published, route } = setup({
      roster: (user, peer) => {
        asked.push(`${user}:${peer}`);
        return Promise.resolve(peer === alice);
      },
    });
    projection.apply({ jid: bob, default: 'roster', always: [], never: ['carol@localhost'], version: 1 });
    await route('carol@localhost/c', bob);
    expect(asked).toEqual([]);
    await route(`${alice}/a`, bob);
    await route('dave@localhost/d', bob);
    expect(asked).toEqual([`${bob}:${alice}`, `${bob}:dave@localhost`]);
    expect(published.map((p) => [p.with, p.inRoster])).toEqual([[alice, true]]);
  });

  it('gives sent carbons a promised id while the sender roster is asked', async () => {
    const { projection, published, route } = setup({ roster: () => Promise.resolve(true) });
    projection.apply({ jid: alice, default: 'roster', always: [], never: [], version: 1 });
    const { data } = await route(`${alice}/a`, bob);
    await expect(data.get(SENDER_ARCHIVE_ID)).resolves.toBe('id-1');
    expect(published).toEqual([expect.objectContaining({ owner: alice, direction: 'out', inRoster: true })]);
  });

  it('stops at once when the preferences say never', async () => {
    const { projection, published, route } = setup();
    projection.apply({ jid: bob, default: 'always', always: [], never: [], version: 1 });
    projection.applyLocal(bob, { default: 'never', always: [], never: [] });
    const { msg } = await route(`${alice}/a`, bob);
    expect(published).toEqual([]);
    expect(stanzaId.allFrom(msg)).toEqual([]);
  });
});
