import { StanzaError } from '@parley/stanza';
import { parseXml, x } from '@parley/xml';
import type { Session } from '../session/session';
import { answerIq, FeatureRegistry, HANDLED } from './registry';

const iq = parseXml(`<iq type='get' id='q1' from='alice@localhost/r' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
const session = {} as Session;
const target = { bare: 'localhost', local: '' };

describe('IQ handler outcomes', () => {
  it('turns a value into a result carrying it', async () => {
    const r = await answerIq(() => x('pong', { xmlns: 'urn:example' }), iq, session, target, () => undefined);
    expect(r!.attrs).toEqual({ type: 'result', id: 'q1', to: 'alice@localhost/r', from: 'localhost' });
    expect(r!.getChild('pong', 'urn:example')).toBeDefined();
  });

  it('turns nothing into an empty result', async () => {
    const r = await answerIq(() => undefined, iq, session, target, () => undefined);
    expect(r!.attrs.type).toBe('result');
    expect(r!.children).toHaveLength(0);
  });

  it('turns a thrown StanzaError into that error', async () => {
    const r = await answerIq(() => {
      throw StanzaError.itemNotFound('gone');
    }, iq, session, target, () => undefined);
    expect(r!.attrs.type).toBe('error');
    expect(r!.getChild('error')!.getChild('item-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
  });

  it('turns anything else into internal-server-error and reports it', async () => {
    const crashes: unknown[] = [];
    const r = await answerIq(() => {
      throw new Error('bug');
    }, iq, session, target, (e) => crashes.push(e));
    expect(r!.getChild('error')!.getChild('internal-server-error', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
    expect(crashes).toHaveLength(1);
  });

  it('sends nothing when the handler answered itself', async () => {
    expect(await answerIq(() => HANDLED, iq, session, target, () => undefined)).toBeUndefined();
  });
});

describe('FeatureRegistry', () => {
  it('finds handlers by type, target and payload namespace, and refuses duplicates', () => {
    const r = new FeatureRegistry();
    const h = () => undefined;
    r.onIq('get', 'server', 'urn:xmpp:ping', h);
    expect(r.iqHandler('get', 'server', iq.getChild('ping'))).toBe(h);
    expect(r.iqHandler('set', 'server', iq.getChild('ping'))).toBeUndefined();
    expect(r.iqHandler('get', 'account', iq.getChild('ping'))).toBeUndefined();
    expect(() => r.onIq('get', 'server', 'urn:xmpp:ping', h)).toThrow(/twice/);
  });
});
