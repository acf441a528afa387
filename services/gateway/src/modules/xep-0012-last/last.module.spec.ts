import { JanitorSubjects, LastActivityResult, RosterSubjects } from '@parley/contracts';
import { NS } from '@parley/stanza';
import { TestGateway } from '../../testing/test-gateway';
import { commandsModule } from '../xep-0050-commands/commands.module';
import { discoModule } from '../xep-0030-disco/disco.module';
import { lastModule, VISIBILITY_NODE } from './last.module';

const LAST = `<query xmlns='jabber:iq:last'/>`;

describe('XEP-0012 Last Activity (in process)', () => {
  let gw: TestGateway;
  let activity: Map<string, LastActivityResult>;
  afterEach(() => gw?.stop());

  beforeEach(async () => {
    gw = await TestGateway.start({ modules: [discoModule, commandsModule, lastModule] });
    activity = new Map();
    gw.bus.answer(JanitorSubjects.lastActivity, ({ jid }: { jid: string }) => activity.get(jid) ?? { online: false, hidden: false });
    gw.bus.answer(JanitorSubjects.setLastActivityVisibility, ({ jid, hidden }: { jid: string; hidden: boolean }) => {
      activity.set(jid, { ...(activity.get(jid) ?? { online: false }), hidden });
      return { hidden };
    });
    // bob's roster: alice sees his presence (from), mallory asked but has none, carol has `to` only
    gw.bus.answer(RosterSubjects.get, ({ user }: { user: string }) => ({
      kind: 'full',
      ver: '1',
      items:
        user === 'bob@localhost'
          ? [
              { jid: 'alice@localhost', groups: [], subscription: 'from' },
              { jid: 'carol@localhost', groups: [], subscription: 'to' },
            ]
          : [],
    }));
    await gw.accounts('bob');
  });

  it('answers the server’s uptime and advertises jabber:iq:last', async () => {
    const a = await gw.login('alice', 'desk');
    const r = await a.iq(`<iq type='get' to='localhost'>${LAST}</iq>`);
    expect(r.attrs.type).toBe('result');
    expect(Number(r.getChild('query', 'jabber:iq:last')!.attrs.seconds)).toBeGreaterThanOrEqual(0);
    const info = await a.iq(`<iq type='get' to='localhost'><query xmlns='${NS.discoInfo}'/></iq>`);
    expect(info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var)).toContain('jabber:iq:last');
  });

  it('answers a subscriber the seconds since the user’s last logout, 0 while online, and forbids others', async () => {
    activity.set('bob@localhost', { online: false, hidden: false, lastLogoutAt: new Date(Date.now() - 120_000).toISOString() });
    const alice = await gw.login('alice', 'desk');
    const r = await alice.iq(`<iq type='get' to='bob@localhost'>${LAST}</iq>`);
    const seconds = Number(r.getChild('query', 'jabber:iq:last')!.attrs.seconds);
    expect(seconds).toBeGreaterThanOrEqual(119);
    expect(seconds).toBeLessThan(200);

    for (const who of ['carol', 'mallory']) {
      const c = await gw.login(who, 'desk');
      const e = await c.iq(`<iq type='get' to='bob@localhost'>${LAST}</iq>`);
      expect(e.attrs.type).toBe('error');
      expect(e.getChild('error')!.getChild('forbidden', NS.stanzas)).toBeDefined();
    }

    const bob = await gw.online('bob', 'phone');
    bob.session.available = true;
    gw.core.sessions.update(bob.session);
    const online = await alice.iq(`<iq type='get' to='bob@localhost'>${LAST}</iq>`);
    expect(online.getChild('query', 'jabber:iq:last')!.attrs.seconds).toBe('0');
  });

  it('forbids everyone but the user once the user hides it (through the ad-hoc command)', async () => {
    activity.set('bob@localhost', { online: false, hidden: false, lastLogoutAt: new Date().toISOString() });
    const bob = await gw.login('bob', 'phone');
    const alice = await gw.login('alice', 'desk');
    const start = await bob.iq(`<iq type='set' to='localhost'><command xmlns='http://jabber.org/protocol/commands' node='${VISIBILITY_NODE}' action='execute'/></iq>`);
    const cmd = start.getChild('command')!;
    expect(cmd.attrs.status).toBe('executing');
    const sid = cmd.attrs.sessionid;
    const done = await bob.iq(
      `<iq type='set' to='localhost'><command xmlns='http://jabber.org/protocol/commands' node='${VISIBILITY_NODE}' sessionid='${sid}' action='complete'><x xmlns='jabber:x:data' type='submit'><field var='hidden'><value>1</value></field></x></command></iq>`,
    );
    expect(done.getChild('command')!.attrs.status).toBe('completed');
    expect(activity.get('bob@localhost')!.hidden).toBe(true);
    const e = await alice.iq(`<iq type='get' to='bob@localhost'>${LAST}</iq>`);
    expect(e.getChild('error')!.getChild('forbidden', NS.stanzas)).toBeDefined();
    const own = await bob.iq(`<iq type='get' to='bob@localhost'>${LAST}</iq>`);
    expect(own.attrs.type).toBe('result');
  });

  it('answers service-unavailable when the janitor is down, and item-not-found when no logout is known', async () => {
    const alice = await gw.login('alice', 'desk');
    const unknown = await alice.iq(`<iq type='get' to='bob@localhost'>${LAST}</iq>`);
    expect(unknown.getChild('error')!.getChild('item-not-found', NS.stanzas)).toBeDefined();
    gw.bus.down(JanitorSubjects.lastActivity);
    const e = await alice.iq(`<iq type='get' to='bob@localhost'>${LAST}</iq>`);
    expect(e.getChild('error')!.getChild('service-unavailable', NS.stanzas)).toBeDefined();
  });
});
