import { parseXml } from '@parley/xml';
import { errorReply, iqResult, StanzaError, StreamError } from './errors';
import { NS } from './ns';

describe('stanza errors (RFC 6120 §8.3)', () => {
  it('carry the usual type of their condition and an optional text', () => {
    const el = new StanzaError('item-not-found', 'no such item').toElement();
    expect(el.attrs.type).toBe('cancel');
    expect(el.getChild('item-not-found', NS.stanzas)).toBeDefined();
    expect(el.getChildText('text', NS.stanzas)).toBe('no such item');
    expect(StanzaError.resourceConstraint().type).toBe('wait');
  });

  it('turn an unknown condition into undefined-condition', () => {
    expect(new StanzaError('made-up').condition).toBe('undefined-condition');
  });

  it('answer a message with from/to swapped, the same id, and the payload', () => {
    const msg = parseXml(`<message from='a@x/r' to='b@x' id='m1' type='chat'><body>hi</body></message>`);
    const reply = errorReply(msg, StanzaError.serviceUnavailable());
    expect(reply.attrs).toMatchObject({ from: 'b@x', to: 'a@x/r', id: 'm1', type: 'error' });
    expect(reply.getChildText('body')).toBe('hi');
    expect(reply.getChild('error')!.getChild('service-unavailable', NS.stanzas)).toBeDefined();
  });

  it('answer an IQ with an empty result', () => {
    const iq = parseXml(`<iq from='a@x/r' to='x' id='i1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`);
    expect(iqResult(iq).attrs).toMatchObject({ type: 'result', id: 'i1', to: 'a@x/r', from: 'x' });
  });
});

describe('stream errors (RFC 6120 §4.9)', () => {
  it('serialize with the streams namespace', () => {
    expect(new StreamError('policy-violation', 'too big').toXml()).toBe(
      `<stream:error><policy-violation xmlns='${NS.streams}'/><text xmlns="${NS.streams}" xml:lang="en">too big</text></stream:error>`,
    );
  });

  it('see-other-host carries the new address as the condition character data (§4.9.3.19), escaped', () => {
    expect(new StreamError('see-other-host', undefined, undefined, '[2001:db8::4]:5222').toXml()).toBe(`<stream:error><see-other-host xmlns="${NS.streams}">[2001:db8::4]:5222</see-other-host></stream:error>`);
    expect(new StreamError('see-other-host', undefined, undefined, 'a<b').toXml()).toContain('>a&lt;b</see-other-host>');
  });
});
