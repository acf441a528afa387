// The export collector pages through every owner and renders XEP-0227 that parses back.
import { ArchiveSubjects, JanitorSubjects, OfflineSubjects, ProfileSubjects, RosterSubjects, UploadSubjects } from '@parley/contracts';
import { parseXml } from '@parley/xml';
import { collectUserExport, ExportRequester, toXep0227 } from './user-export';

const msg = (n: number) => `<message from='bob@localhost/r' to='alice@localhost' type='chat'><body>m${n} &lt;&amp;&gt;</body></message>`;

const file = (n: number) => ({ name: `f${n} & <x>.jpg`, size: 10 + n, contentType: 'image/jpeg', purpose: 'message', uploadedAt: '2026-01-03T00:00:00.000Z', expiresAt: '2026-01-13T00:00:00.000Z', url: `https://u.example/id${n}/f${n}.jpg` });

function fakeOwners(offlineCount: number, archiveCount: number, uploadCount = 1): ExportRequester & { asked: Array<{ subject: string; data: any }> } {
  const asked: Array<{ subject: string; data: any }> = [];
  return {
    asked,
    async request<T>(subject: string, data: any): Promise<T> {
      asked.push({ subject, data });
      if (subject === JanitorSubjects.accountActivity) return { known: true, createdAt: '2026-01-01T00:00:00.000Z', lastUsedAt: '2026-12-01T00:00:00.000Z', exempt: false, hidden: true } as T;
      if (subject === RosterSubjects.login)
        return { ver: '3', items: [{ jid: 'bob@localhost', groups: ['A & B'], subscription: 'both' }], probe: [], broadcast: [], pendingIn: [{ jid: 'eve@localhost', status: 'hi' }], blocked: ['x@y'] } as T;
      if (subject === OfflineSubjects.fetch) {
        const from = data.after ? Number(data.after) : 0;
        const upto = Math.min(offlineCount, from + data.limit);
        const messages = Array.from({ length: upto - from }, (_, i) => ({ id: `o${from + i}`, from: 'bob@localhost/r', type: 'chat', arrivedAt: '2026-01-01T00:00:00.000Z', stanza: msg(from + i) }));
        return { messages, next: upto < offlineCount ? String(upto) : undefined } as T;
      }
      if (subject === ArchiveSubjects.getPrefs) return { default: 'roster', always: ['bob@localhost'], never: [] } as T;
      if (subject === ArchiveSubjects.lookup) {
        const from = data.rsm.after ? Number(data.rsm.after.slice(1)) + 1 : 0;
        const upto = Math.min(archiveCount, from + data.rsm.max);
        const items = Array.from({ length: upto - from }, (_, i) => ({ id: `a${from + i}`, timestamp: '2026-01-02T00:00:00.000Z', stanza: msg(from + i), with: 'bob@localhost', direction: 'in' }));
        return { items, complete: upto >= archiveCount, first: items[0]?.id, last: items[items.length - 1]?.id } as T;
      }
      if (subject === UploadSubjects.files) {
        const from = data.after ? Number(data.after) : 0;
        const upto = Math.min(uploadCount, from + data.limit);
        return { files: Array.from({ length: upto - from }, (_, i) => file(from + i)), next: upto < uploadCount ? String(upto) : undefined } as T;
      }
      if (subject === ProfileSubjects.export)
        return {
          vcard: "<vCard xmlns='vcard-temp'><FN>Alice &amp; co</FN></vCard>",
          private: [{ ns: 'storage:bookmarks', xml: "<storage xmlns='storage:bookmarks'/>" }],
          nodes: [{ node: 'urn:xmpp:bookmarks:1', config: { accessModel: 'whitelist', maxItems: 256, persistItems: true, sendLast: 'never', rosterGroups: [] }, items: [{ id: 'room@muc', payload: "<conference xmlns='urn:xmpp:bookmarks:1' name='R'/>" }] }],
        } as T;
      throw new Error(`unexpected ${subject}`);
    },
  };
}

describe('user export', () => {
  it('pages through offline messages and the archive until each store says it is done', async () => {
    const owners = fakeOwners(600, 520, 260);
    const progress: string[] = [];
    const e = await collectUserExport(owners, 'alice@localhost', (what, n) => progress.push(`${what}:${n}`));
    expect(e.offline).toHaveLength(600);
    expect(e.archive.messages).toHaveLength(520);
    expect(e.archive.messages[519].id).toBe('a519');
    expect(owners.asked.filter((a) => a.subject === OfflineSubjects.fetch)).toHaveLength(3);
    expect(owners.asked.filter((a) => a.subject === ArchiveSubjects.lookup)).toHaveLength(3);
    expect(e.uploads).toHaveLength(260);
    expect(owners.asked.filter((a) => a.subject === UploadSubjects.files)).toHaveLength(2);
    // Only the user's own records are asked for.
    expect(owners.asked.every((a) => [a.data.user, a.data.jid, a.data.owner].includes('alice@localhost'))).toBe(true);
    expect(progress).toContain('offline:600');
  });

  it('renders XEP-0227 that parses back, stanzas in jabber:client, text escaped', async () => {
    const e = await collectUserExport(fakeOwners(2, 1), 'alice@localhost');
    const doc = parseXml(toXep0227(e).replace(/^<\?xml[^>]*\?>\s*/, ''));
    // (nested names are looked up without a namespace: Element inherits one level only)
    const user = doc.getChild('host', 'urn:xmpp:pie:0')!.getChild('user')!;
    expect(doc.getChild('host')!.attrs.jid).toBe('localhost');
    expect(user.attrs.name).toBe('alice');
    expect(user.getChild('account', 'urn:parley:export:0')!.attrs).toMatchObject({ created: '2026-01-01T00:00:00.000Z', 'last-used': '2026-12-01T00:00:00.000Z', hidden: 'true' });
    const item = user.getChild('query', 'jabber:iq:roster')!.getChild('item', 'jabber:iq:roster')!;
    expect(item.attrs).toMatchObject({ jid: 'bob@localhost', subscription: 'both' });
    expect(item.getChild('group')!.text()).toBe('A & B');
    const offline = user.getChild('offline-messages')!.getChildren('message', 'jabber:client');
    expect(offline.map((m) => m.getChild('body', 'jabber:client')!.text())).toEqual(['m0 <&>', 'm1 <&>']);
    const result = user.getChild('archive', 'urn:xmpp:pie:0#mam')!.getChild('result', 'urn:xmpp:mam:2')!;
    expect(result.attrs.id).toBe('a0');
    expect(result.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message', 'jabber:client')).toBeDefined();
    expect(user.getChild('blocklist', 'urn:xmpp:blocking')!.getChild('item', 'urn:xmpp:blocking')!.attrs.jid).toBe('x@y');
    const f = user.getChild('uploads', 'urn:parley:export:0')!.getChild('file', 'urn:parley:export:0')!;
    expect(f.attrs).toMatchObject({ name: 'f0 & <x>.jpg', size: '10', 'content-type': 'image/jpeg', purpose: 'message', url: 'https://u.example/id0/f0.jpg' });
    // the profile: vCard, private XML, PEP node configuration and items
    expect(user.getChild('vCard', 'vcard-temp')!.getChild('FN', 'vcard-temp')!.text()).toBe('Alice & co');
    expect(user.getChild('query', 'jabber:iq:private')!.getChild('storage', 'storage:bookmarks')).toBeDefined();
    const conf = user.getChild('pubsub', 'http://jabber.org/protocol/pubsub#owner')!.getChild('configure', 'http://jabber.org/protocol/pubsub#owner')!;
    expect(conf.attrs.node).toBe('urn:xmpp:bookmarks:1');
    expect(String(conf)).toContain('whitelist');
    const items = user.getChild('pubsub', 'http://jabber.org/protocol/pubsub')!.getChild('items', 'http://jabber.org/protocol/pubsub')!;
    expect(items.getChild('item')!.getChild('conference', 'urn:xmpp:bookmarks:1')!.attrs.name).toBe('R');
  });
});
