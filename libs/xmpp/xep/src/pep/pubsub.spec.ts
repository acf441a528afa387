import { StanzaError } from '@parley/stanza';
import { parseXml } from '@parley/xml';
import { eventElement, pepRequestFromElement, pubsubError } from './pubsub';

const ps = (inner: string, ns = 'http://jabber.org/protocol/pubsub') => parseXml(`<pubsub xmlns='${ns}'>${inner}</pubsub>`);
const fails = (f: () => unknown): [string, string | undefined] => {
  try {
    f();
  } catch (e) {
    const err = e as StanzaError;
    return [err.condition, err.appCondition?.name];
  }
  throw new Error('did not fail');
};

describe('XEP-0060/0163 requests', () => {
  it('decodes a publish with publish-options (XEP-0223)', () => {
    const r = pepRequestFromElement(
      'set',
      ps(`<publish node='urn:xmpp:bookmarks:1'><item id='room@muc'><conference xmlns='urn:xmpp:bookmarks:1' name='R'/></item></publish>
        <publish-options><x xmlns='jabber:x:data' type='submit'>
          <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>
          <field var='pubsub#persist_items'><value>true</value></field>
          <field var='pubsub#access_model'><value>whitelist</value></field>
        </x></publish-options>`),
    );
    expect(r).toMatchObject({ kind: 'publish', node: 'urn:xmpp:bookmarks:1', item: { id: 'room@muc' }, options: { 'pubsub#persist_items': ['true'], 'pubsub#access_model': ['whitelist'] } });
    expect(r.kind === 'publish' && r.item.payload?.name).toBe('conference');
  });

  it('decodes items, retract and the owner\'s delete', () => {
    expect(pepRequestFromElement('get', ps("<items node='n' max_items='2'/>"))).toEqual({ kind: 'items', node: 'n', max: 2 });
    expect(pepRequestFromElement('get', ps("<items node='n'><item id='a'/><item id='b'/></items>"))).toEqual({ kind: 'items', node: 'n', ids: ['a', 'b'] });
    expect(pepRequestFromElement('set', ps("<retract node='n' notify='true'><item id='a'/></retract>"))).toEqual({ kind: 'retract', node: 'n', id: 'a', notify: true });
    expect(pepRequestFromElement('set', ps("<delete node='n'/>", 'http://jabber.org/protocol/pubsub#owner'))).toEqual({ kind: 'delete', node: 'n' });
  });

  it('decodes the owner\'s node configuration get and set (§8.2)', () => {
    const owner = 'http://jabber.org/protocol/pubsub#owner';
    expect(pepRequestFromElement('get', ps("<configure node='n'/>", owner))).toEqual({ kind: 'configure-get', node: 'n' });
    const set = ps(`<configure node='n'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field><field var='pubsub#access_model'><value>open</value></field></x></configure>`, owner);
    expect(pepRequestFromElement('set', set)).toEqual({ kind: 'configure', node: 'n', options: { 'pubsub#access_model': ['open'] } });
    expect(fails(() => pepRequestFromElement('set', ps("<configure node='n'/>", owner)))[0]).toBe('bad-request');
  });

  it('answers bad requests with the XEP-0060 conditions', () => {
    expect(fails(() => pepRequestFromElement('set', ps("<publish><item><x xmlns='y'/></item></publish>")))).toEqual(['bad-request', 'nodeid-required']);
    expect(fails(() => pepRequestFromElement('set', ps("<publish node='n'/>")))).toEqual(['bad-request', 'item-required']);
    expect(fails(() => pepRequestFromElement('set', ps("<publish node='n'><item/></publish>")))).toEqual(['bad-request', 'payload-required']);
    expect(fails(() => pepRequestFromElement('set', ps("<publish node='n'><item><a xmlns='x'/><b xmlns='x'/></item></publish>")))).toEqual(['bad-request', 'invalid-payload']);
    expect(fails(() => pepRequestFromElement('set', ps("<subscribe node='n' jid='a@b'/>")))).toEqual(['feature-not-implemented', 'subscribe']);
    expect(fails(() => pepRequestFromElement('get', ps("<items node='n' max_items='0'/>")))[0]).toBe('bad-request');
    const badForm = ps(`<publish node='n'><item><x xmlns='y'/></item></publish><publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:other</value></field></x></publish-options>`);
    expect(fails(() => pepRequestFromElement('set', badForm))[0]).toBe('bad-request');
  });

  it('builds notifications and errors', () => {
    expect(eventElement('n', { kind: 'retract', id: 'a' }).toString()).toBe('<event xmlns="http://jabber.org/protocol/pubsub#event"><items node="n"><retract id="a"/></items></event>');
    expect(eventElement('n', { kind: 'delete' }).toString()).toBe('<event xmlns="http://jabber.org/protocol/pubsub#event"><delete node="n"/></event>');
    expect(pubsubError('conflict', 'precondition-not-met').toElement().toString()).toContain('<precondition-not-met xmlns="http://jabber.org/protocol/pubsub#errors"/>');
  });
});
