import { BlockCommand, BlocklistsQuery, BlocklistsResult, BlockResult, envelope, RosterEvents, RosterSubjects, UnblockResult } from '@parley/contracts';
import { NS } from '@parley/stanza';
import { CoreHooks, defineModule } from '../../host';
import { settle, TestGateway } from '../../testing/test-gateway';
import { presenceModule } from '../rfc6121-presence/presence.module';
import { BLOCKING, BlockingHooks, UnblockedEvent } from './api';
import { blockingModule } from './blocking.module';

describe('XEP-0191 blocking (in process, roster service faked on the bus)', () => {
  let gw: TestGateway;
  const unblocked: UnblockedEvent[] = [];
  const listener = defineModule({ name: 'listener', uses: [BLOCKING], init: (ctx) => ctx.hook(BlockingHooks.unblocked, (e) => void unblocked.push(e)) });
  let blocked: string[];

  beforeEach(async () => {
    blocked = ['mallory@localhost'];
    unblocked.length = 0;
    gw = await TestGateway.start({ modules: [presenceModule, blockingModule, listener] });
    gw.bus.answer(RosterSubjects.blocklist, () => ({ blocked }));
    gw.bus.answer<BlockCommand, BlockResult>(RosterSubjects.block, (c) => {
      blocked.push(...c.jids);
      return { blocked: c.jids, sendUnavailableTo: [] };
    });
    gw.bus.answer<unknown, UnblockResult>(RosterSubjects.unblock, () => ({ unblocked: blocked.splice(0), sendPresenceTo: ['mallory@localhost'], probe: [] }));
  });
  afterEach(() => gw.stop());

  it('returns the block list and enforces it both ways', async () => {
    const a = await gw.login('alice', 'desk');
    const m = await gw.login('mallory', 'x');
    const list = await a.iq(`<iq type='get'><blocklist xmlns='${NS.blocking}'/></iq>`);
    expect(list.getChild('blocklist', NS.blocking)!.getChildren('item').map((i) => i.attrs.jid)).toEqual(['mallory@localhost']);
    // to a blocked JID: not-acceptable with <blocked/>
    await a.send(`<message to='mallory@localhost/x' type='chat' id='out'><body>x</body></message>`);
    const refused = await a.next((s) => s.attrs.id === 'out');
    expect(refused.getChild('error')!.getChild('blocked', NS.blockingErrors)).toBeDefined();
    // from a blocked JID: never delivered, the sender gets service-unavailable
    await m.send(`<message to='alice@localhost/desk' type='chat' id='in'><body>x</body></message>`);
    const bounced = await m.next((s) => s.attrs.id === 'in');
    expect(bounced.getChild('error')!.getChild('service-unavailable', NS.stanzas)).toBeDefined();
    expect(await a.drain()).toEqual([]);
  });

  it('blocks, pushes the change to resources that asked, and fires the unblocked hook for the roster', async () => {
    const a = await gw.login('alice', 'desk');
    await a.iq(`<iq type='get'><blocklist xmlns='${NS.blocking}'/></iq>`);
    expect((await a.iq(`<iq type='set'><block xmlns='${NS.blocking}'><item jid='eve@localhost'/></block></iq>`)).attrs.type).toBe('result');
    await gw.bus.publishEvent(envelope(RosterEvents.blocklistChanged, { user: 'alice@localhost', action: 'block', jids: ['eve@localhost'] }));
    const push = await a.next((s) => s.attrs.type === 'set');
    expect(push.getChild('block', NS.blocking)!.getChild('item')!.attrs.jid).toBe('eve@localhost');
    expect((await a.iq(`<iq type='set'><unblock xmlns='${NS.blocking}'><item jid='mallory@localhost'/></unblock></iq>`)).attrs.type).toBe('result');
    await settle();
    expect(unblocked).toEqual([{ user: 'alice@localhost', sendPresenceTo: ['mallory@localhost'], probe: [] }]);
  });

  it('refuses directed presence to a blocked JID and forgets it as a directed-presence recipient', async () => {
    const a = await gw.online('alice', 'desk');
    await a.send(`<presence to='mallory@localhost' id='p'/>`);
    const err = await a.next((s) => s.attrs.id === 'p');
    expect(err.getChild('error')!.getChild('blocked', NS.blockingErrors)).toBeDefined();
  });
  it("asks the roster service for the lists of a burst's offline recipients in one query, and enforces each", async () => {
    const asked: string[][] = [];
    gw.bus.answer<BlocklistsQuery, BlocklistsResult>(RosterSubjects.blocklists, (q) => {
      asked.push(q.users);
      return { blocked: q.users.map((u) => (u === 'bob@localhost' ? ['mallory@localhost'] : [])) };
    });
    const single = jest.fn(() => ({ blocked: [] }));
    gw.bus.answer(RosterSubjects.blocklist, single);
    await gw.stop();
    const stored: string[] = [];
    const store = defineModule({ name: 'store', init: (ctx) => ctx.hook(CoreHooks.offline, ({ stanza }) => (stored.push(stanza.attrs.to!), true)) });
    gw = await TestGateway.start({ modules: [presenceModule, blockingModule, store], bus: gw.bus });
    await gw.accounts('bob', 'carol', 'dave');
    const m = await gw.login('mallory', 'x');
    for (const to of ['bob', 'carol', 'dave']) await m.send(`<message to='${to}@localhost' type='chat' id='${to}'><body>x</body></message>`);
    await m.session.settled();
    // the sender's own list first (its first message), then the three recipients' together
    expect(asked).toEqual([['mallory@localhost'], ['bob@localhost', 'carol@localhost', 'dave@localhost']]);
    expect(single).not.toHaveBeenCalled();
    expect(stored).toEqual(['carol@localhost', 'dave@localhost']);
    expect((await m.next((s) => s.attrs.id === 'bob')).getChild('error')!.getChild('service-unavailable', NS.stanzas)).toBeDefined();
  });
});
