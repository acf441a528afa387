import { AvatarHashQuery, PepNotificationV1, ProfileEvents, ProfileSubjects, SetVCardCommand } from '@parley/contracts';
import { settle, TestGateway } from '../../testing/test-gateway';
import { presenceModule } from '../rfc6121-presence/presence.module';
import { vcardModule } from './vcard.module';

describe('XEP-0054/0153 vCard module (in process, profile service faked on the bus)', () => {
  let gw: TestGateway;
  let stored: Record<string, string>;
  let hash: string | undefined;

  beforeEach(async () => {
    stored = {};
    hash = undefined;
    gw = await TestGateway.start({ modules: [presenceModule, vcardModule] });
    gw.bus.answer<{ owner: string }>(ProfileSubjects.getVCard, (q) => (stored[q.owner] ? { vcard: stored[q.owner] } : {}));
    gw.bus.answer<SetVCardCommand>(ProfileSubjects.setVCard, (c) => {
      stored[c.owner] = c.vcard;
      return { photoHash: 'abc' };
    });
    gw.bus.answer<AvatarHashQuery>(ProfileSubjects.avatarHash, () => (hash === undefined ? {} : { photoHash: hash }));
  });
  afterEach(() => gw.stop());

  it('sets one\'s own vCard, reads anyone\'s, refuses writing another\'s', async () => {
    const a = await gw.login('alice', 'desk');
    const b = await gw.login('bob', 'desk');
    expect((await b.iq(`<iq type='get' to='alice@localhost'><vCard xmlns='vcard-temp'/></iq>`)).getChild('vCard', 'vcard-temp')!.children).toEqual([]);
    expect((await a.iq(`<iq type='set'><vCard xmlns='vcard-temp'><FN>Alice</FN></vCard></iq>`)).attrs.type).toBe('result');
    expect((await b.iq(`<iq type='get' to='alice@localhost'><vCard xmlns='vcard-temp'/></iq>`)).getChild('vCard')!.getChildText('FN')).toBe('Alice');
    const refused = await b.iq(`<iq type='set' to='alice@localhost'><vCard xmlns='vcard-temp'><FN>B</FN></vCard></iq>`);
    expect(refused.getChild('error')!.getChild('forbidden')).toBeDefined();
    expect(stored['alice@localhost']).toContain('Alice');
  });

  it('stamps the avatar hash on broadcast presence and follows avatar changes (XEP-0153, XEP-0398)', async () => {
    hash = 'aaaa';
    const a = await gw.online('alice', 'desk', `<presence><x xmlns='vcard-temp:x:update'><photo>stale</photo></x></presence>`);
    const echo = await a.next((s) => s.name === 'presence');
    expect(echo.getChildren('x')).toHaveLength(1);
    expect(echo.getChild('x', 'vcard-temp:x:update')!.getChildText('photo')).toBe('aaaa');
    const n: PepNotificationV1 = { publisher: 'alice@localhost', node: 'urn:xmpp:avatar:metadata', kind: 'items', item: { id: 'bbbb', payload: `<metadata xmlns='urn:xmpp:avatar:metadata'><info id='bbbb' type='image/png' bytes='3'/></metadata>` }, recipients: ['alice@localhost'] };
    gw.bus.publish(ProfileEvents.notify, n);
    await settle();
    await a.send(`<presence><status>again</status></presence>`);
    const again = await a.next((s) => s.name === 'presence' && s.getChildText('status') === 'again');
    expect(again.getChild('x', 'vcard-temp:x:update')!.getChildText('photo')).toBe('bbbb');
  });

  it('leaves presence alone for a user who never set a vCard or avatar', async () => {
    const a = await gw.online('alice', 'desk');
    const echo = await a.next((s) => s.name === 'presence');
    expect(echo.getChild('x', 'vcard-temp:x:update')).toBeUndefined();
  });
});
