import { parseXml } from '@parley/xml';
import { offlineFacts, storedCopy } from './storable';

const msg = (xml: string) => parseXml(xml);

describe('offline facts of a message (XEP-0160 §3, XEP-0334, XEP-0085)', () => {
  it('reads a missing or unknown type as normal', () => {
    expect(offlineFacts(msg(`<message><body>hi</body></message>`)).type).toBe('normal');
    expect(offlineFacts(msg(`<message type='bogus'><body>hi</body></message>`)).type).toBe('normal');
    expect(offlineFacts(msg(`<message type='chat'><body>hi</body></message>`)).type).toBe('chat');
  });

  it('sees a <no-store/> hint only in urn:xmpp:hints', () => {
    expect(offlineFacts(msg(`<message><body>x</body><no-store xmlns='urn:xmpp:hints'/></message>`)).noStore).toBe(true);
    expect(offlineFacts(msg(`<message><body>x</body><no-store xmlns='urn:example'/></message>`)).noStore).toBe(false);
  });

  it('calls a standalone chat state (with thread, hints and ids) chat-state-only', () => {
    const standalone = `<message type='chat'><thread>t1</thread><composing xmlns='http://jabber.org/protocol/chatstates'/><no-permanent-store xmlns='urn:xmpp:hints'/><origin-id xmlns='urn:xmpp:sid:0' id='o1'/></message>`;
    expect(offlineFacts(msg(standalone)).chatStateOnly).toBe(true);
  });

  it('keeps a chat state that comes with content, or asks to be stored', () => {
    expect(offlineFacts(msg(`<message type='chat'><body>hi</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>`)).chatStateOnly).toBe(false);
    expect(offlineFacts(msg(`<message type='chat'><gone xmlns='http://jabber.org/protocol/chatstates'/><received xmlns='urn:xmpp:receipts' id='r'/></message>`)).chatStateOnly).toBe(false);
    expect(offlineFacts(msg(`<message type='chat'><gone xmlns='http://jabber.org/protocol/chatstates'/><store xmlns='urn:xmpp:hints'/></message>`)).chatStateOnly).toBe(false);
    expect(offlineFacts(msg(`<message type='chat'><received xmlns='urn:xmpp:receipts' id='r'/></message>`)).chatStateOnly).toBe(false);
  });

  it('stores a copy without <delay/> claiming to be from this server, keeping others', () => {
    const m = msg(`<message from='a@x/r'><body>hi</body><delay xmlns='urn:xmpp:delay' from='localhost' stamp='2001-01-01T00:00:00Z'/><delay xmlns='urn:xmpp:delay' from='a@x/r' stamp='2002-01-01T00:00:00Z'/></message>`);
    const copy = storedCopy(m, 'localhost');
    expect(copy.getChildren('delay').map((d) => d.attrs.from)).toEqual(['a@x/r']);
    expect(m.getChildren('delay')).toHaveLength(2);
  });
});
