import { NS } from '@parley/stanza';
import type { Element } from '@parley/xml';
import type { Destination } from '../host/registry';
import { CoreHooks } from '../host/core-hooks';
import { defineModule } from '../host/module';
import { defineSlot } from '../host/slots';
import { settle, TestGateway } from '../testing/test-gateway';
import { MAX_DEFERRED } from './router';

/**
 * A module whose inbound hook holds the stanzas `held` picks until `open()` (a slow
 * block-list fetch, say), and whose offline hook takes every message, calling `stored`.
 */
function holdingModule(name: string, held: (stanza: Element, to: Destination) => boolean, stored: (stanza: Element, toBare: string) => void = () => undefined) {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const module = defineModule({
    name,
    init(ctx) {
      ctx.hook(CoreHooks.inbound, async ({ stanza, to }) => {
        if (held(stanza, to)) await gate;
        return false;
      });
      ctx.hook(CoreHooks.offline, ({ stanza, toBare }) => (stored(stanza, toBare), true));
    },
  });
  return { module, open };
}

describe('router (in process)', () => {
  let gw: TestGateway;
  afterEach(() => gw?.stop());

  it('delivers a message to a full JID and to every available non-negative resource of a bare JID', async () => {
    gw = await TestGateway.start({ modules: [] });
    const a = await gw.login('alicE', 'desk');
    const b1 = await gw.login('bOb', 'one');
    const b2 = await gw.login('bob', 'two');
    for (const b of [b1, b2]) {
      b.session.available = true;
      gw.core.sessions.update(b.session);
    }
    await a.send(`<message to='bob@localhost/one' type='chat' id='m1'><body>hi one</body></message>`);
    expect((await b1.next((s) => s.name === 'message')).attrs).toMatchObject({ from: 'alice@localhost/desk', to: 'bob@localhost/one' });
    await a.send(`<message to='bob@localhost' type='chat' id='m2'><body>hi both</body></message>`);
    await b1.next((s) => s.attrs.id === 'm2');
    await b2.next((s) => s.attrs.id === 'm2');
  });

  it('answers what cannot be delivered as RFC 6121 §8 says', async () => {
    gw = await TestGateway.start({ modules: [] });
    await gw.accounts('carol');
    const a = await gw.login('alice', 'desk');
    // an existing account with no resource and no offline storage: service-unavailable
    await a.send(`<message to='carol@localhost' type='chat' id='m1'><body>x</body></message>`);
    const err = await a.next((s) => s.attrs.id === 'm1');
    expect(err.attrs.type).toBe('error');
    expect(err.getChild('error')!.getChild('service-unavailable', NS.stanzas)).toBeDefined();
    // an IQ nobody handles, and a malformed JID
    const iq = await a.iq(`<iq type='get' to='localhost'><query xmlns='urn:example:none'/></iq>`);
    expect(iq.getChild('error')!.getChild('service-unavailable', NS.stanzas)).toBeDefined();
    await a.send(`<message to='@@' id='m2'><body>x</body></message>`);
    expect((await a.next((s) => s.attrs.id === 'm2')).getChild('error')!.getChild('jid-malformed', NS.stanzas)).toBeDefined();
    // a remote domain: no federation yet
    await a.send(`<message to='x@example.org' id='m3'><body>x</body></message>`);
    expect((await a.next((s) => s.attrs.id === 'm3')).getChild('error')!.getChild('remote-server-not-found', NS.stanzas)).toBeDefined();
  });

  it('hands one data map through outbound, inbound, delivery and sent hooks of a client message', async () => {
    const SEEN = defineSlot<string[]>('test/seen');
    const trail: string[][] = [];
    const probe = defineModule({
      name: 'probe',
      init(ctx) {
        ctx.hook(CoreHooks.outbound, ({ data }) => (data.set(SEEN, ['outbound']), false));
        ctx.hook(CoreHooks.inbound, ({ data, origin }) => (data.get(SEEN)?.push(origin ? 'inbound from a client' : 'inbound'), false));
        ctx.hook(CoreHooks.messageDelivered, ({ data }) => void data.get(SEEN)?.push('delivered'));
        ctx.hook(CoreHooks.messageSent, ({ data }) => void trail.push([...(data.get(SEEN) ?? []), 'sent']));
      },
    });
    gw = await TestGateway.start({ modules: [probe] });
    const a = await gw.login('alice', 'desk');
    await gw.login('bob', 'one');
    await a.send(`<message to='bob@localhost/one' type='chat'><body>x</body></message>`);
    await settle();
    expect(trail).toEqual([['outbound', 'inbound from a client', 'delivered', 'sent']]);
  });

  it('lets an outbound hook consume a stanza before it is routed', async () => {
    const stop = defineModule({ name: 'stop', init: (ctx) => ctx.hook(CoreHooks.outbound, ({ stanza }) => stanza.attrs.id === 'held') });
    gw = await TestGateway.start({ modules: [stop] });
    const a = await gw.login('alice', 'desk');
    const b = await gw.login('bob', 'one');
    await a.send(`<message to='bob@localhost/one' type='chat' id='held'><body>x</body></message>`);
    await a.send(`<message to='bob@localhost/one' type='chat' id='passes'><body>x</body></message>`);
    expect((await b.drain()).map((s) => s.attrs.id)).toEqual(['passes']);
  });

  it("does not hold a sender's stream for a message that goes offline: each recipient's messages keep their order, and stay unsettled work of the sender", async () => {
    const trail: string[] = [];
    // carol's block list (say) takes a while to fetch; dave's is known
    const { module: slow, open } = holdingModule('slow-recipient', (_s, to) => to.jid.local === 'carol', (stanza, toBare) => trail.push(`${toBare.split('@')[0]}:${stanza.attrs.id}`));
    const sent = defineModule({ name: 'sent', init: (ctx) => ctx.hook(CoreHooks.messageSent, ({ stanza }) => void trail.push(`sent:${stanza.attrs.id}`)) });
    gw = await TestGateway.start({ modules: [slow, sent] });
    await gw.accounts('carol', 'dave');
    const a = await gw.login('alice', 'desk');
    await a.send(`<message to='carol@localhost' type='chat' id='c1'><body>1</body></message>`);
    await a.send(`<message to='dave@localhost' id='d1'><body>2</body></message>`);
    await a.send(`<message to='carol@localhost/gone' type='chat' id='c2'><body>3</body></message>`);
    await settle();
    expect(trail).toEqual(['dave:d1', 'sent:d1']);
    // the stream's next IQ or presence waits for these (c2s: Session.settled)
    expect(a.session.unsettledWork).toBe(2);
    open();
    await a.session.settled();
    expect(trail).toEqual(['dave:d1', 'sent:d1', 'carol:c1', 'sent:c1', 'carol:c2', 'sent:c2']);
  });

  it("keeps a recipient's order past the bound of messages a stream does not wait for: the stream waits, in the queue", async () => {
    const stored: string[] = [];
    const { module: slow, open } = holdingModule('slow-first', (stanza) => stanza.attrs.id === 'm0', (stanza) => stored.push(stanza.attrs.id!));
    gw = await TestGateway.start({ modules: [slow] });
    await gw.accounts('carol');
    const a = await gw.login('alice', 'desk');
    const n = MAX_DEFERRED + 3;
    const sends: Array<Promise<void>> = [];
    for (let i = 0; i < n; i++) sends.push(a.send(`<message to='carol@localhost' type='chat' id='m${i}'><body>${i}</body></message>`));
    await settle();
    expect(stored).toEqual([]);
    open();
    await Promise.all(sends);
    await a.session.settled();
    expect(stored).toEqual(Array.from({ length: n }, (_, i) => `m${i}`));
  });

  it("keeps a recipient's order when it comes online while earlier messages to it still wait", async () => {
    const { module: slow, open } = holdingModule('slow-once', (stanza) => stanza.attrs.id === 'm1');
    gw = await TestGateway.start({ modules: [slow] });
    await gw.accounts('bob');
    const a = await gw.login('alice', 'desk');
    await a.send(`<message to='bob@localhost' type='chat' id='m1'><body>1</body></message>`);
    await settle();
    const b = await gw.login('bob', 'phone');
    b.session.available = true;
    gw.core.sessions.update(b.session);
    await a.send(`<message to='bob@localhost' type='chat' id='m2'><body>2</body></message>`);
    await settle();
    expect(await b.drain()).toEqual([]);
    open();
    await a.session.settled();
    expect((await b.drain()).map((s) => s.attrs.id)).toEqual(['m1', 'm2']);
  });

  it('answers a message whose routing failed with internal-server-error, and goes on', async () => {
    const broken = defineModule({
      name: 'broken',
      init(ctx) {
        ctx.hook(CoreHooks.inbound, ({ stanza }) => {
          if (stanza.attrs.id === 'boom' && stanza.attrs.type !== 'error') throw new Error('store down');
          return false;
        });
        ctx.hook(CoreHooks.offline, () => true);
      },
    });
    gw = await TestGateway.start({ modules: [broken] });
    await gw.accounts('bob');
    const a = await gw.login('alice', 'desk');
    await a.send(`<message to='bob@localhost' type='chat' id='boom'><body>1</body></message>`);
    const err = await a.next((s) => s.attrs.id === 'boom');
    expect(err.getChild('error')!.getChild('internal-server-error', NS.stanzas)).toBeDefined();
    await a.send(`<message to='bob@localhost' type='chat' id='fine'><body>2</body></message>`);
    await settle();
    expect(await a.drain()).toEqual([]);
  });
});
