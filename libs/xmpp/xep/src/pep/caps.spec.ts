import { parseXml } from '@parley/xml';
import { capsOf, capsVer, capsVerificationString, discoInfoFromElement, notifyNodes } from './caps';

// XEP-0115 §5.2 and §5.3 examples
const SIMPLE = `<query xmlns='http://jabber.org/protocol/disco#info' node='http://code.google.com/p/exodus#QgayPKawpkPSDYmwT/WM94uAlu0='>
  <identity category='client' name='Exodus 0.9.1' type='pc'/>
  <feature var='http://jabber.org/protocol/caps'/>
  <feature var='http://jabber.org/protocol/disco#info'/>
  <feature var='http://jabber.org/protocol/disco#items'/>
  <feature var='http://jabber.org/protocol/muc'/>
</query>`;

const COMPLEX = `<query xmlns='http://jabber.org/protocol/disco#info' node='http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w='>
  <identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>
  <identity xml:lang='el' category='client' name='Ψ 0.11' type='pc'/>
  <feature var='http://jabber.org/protocol/caps'/>
  <feature var='http://jabber.org/protocol/disco#info'/>
  <feature var='http://jabber.org/protocol/disco#items'/>
  <feature var='http://jabber.org/protocol/muc'/>
  <x xmlns='jabber:x:data' type='result'>
    <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>
    <field var='ip_version' type='text-multi'><value>ipv4</value><value>ipv6</value></field>
    <field var='os'><value>Mac</value></field>
    <field var='os_version'><value>10.5.1</value></field>
    <field var='software'><value>Psi</value></field>
    <field var='software_version'><value>0.11</value></field>
  </x>
</query>`;

describe('XEP-0115 entity capabilities', () => {
  it('computes the simple example of §5.2', () => {
    const info = discoInfoFromElement(parseXml(SIMPLE));
    expect(capsVerificationString(info)).toBe(
      'client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<',
    );
    expect(capsVer(info, 'sha-1')).toBe('QgayPKawpkPSDYmwT/WM94uAlu0=');
  });

  it('computes the complex example of §5.3 (languages, extended forms)', () => {
    expect(capsVer(discoInfoFromElement(parseXml(COMPLEX)), 'sha-1')).toBe('q07IKJEyjvHSyhy//CH0CxmKi8w=');
  });

  it('refuses what §5.4 says not to accept: duplicate features or identities, FORM_TYPE not hidden or repeated', () => {
    const dupFeature = SIMPLE.replace('</query>', "<feature var='http://jabber.org/protocol/muc'/></query>");
    expect(capsVer(discoInfoFromElement(parseXml(dupFeature)), 'sha-1')).toBeUndefined();
    const dupIdentity = SIMPLE.replace('</query>', "<identity category='client' name='Exodus 0.9.1' type='pc'/></query>");
    expect(capsVer(discoInfoFromElement(parseXml(dupIdentity)), 'sha-1')).toBeUndefined();
    expect(capsVer(discoInfoFromElement(parseXml(COMPLEX.replace("var='FORM_TYPE' type='hidden'", "var='FORM_TYPE' type='text-single'"))), 'sha-1')).toBeUndefined();
    const twoForms = COMPLEX.replace('</query>', `${COMPLEX.slice(COMPLEX.indexOf('<x '), COMPLEX.indexOf('</x>') + 4)}</query>`);
    expect(capsVer(discoInfoFromElement(parseXml(twoForms)), 'sha-1')).toBeUndefined();
    expect(capsVer(discoInfoFromElement(parseXml(SIMPLE)), 'md5')).toBeUndefined();
  });

  it('a changed feature list no longer matches the advertised ver', () => {
    const other = SIMPLE.replace('http://jabber.org/protocol/muc', 'http://jabber.org/protocol/nick+notify');
    expect(capsVer(discoInfoFromElement(parseXml(other)), 'sha-1')).not.toBe('QgayPKawpkPSDYmwT/WM94uAlu0=');
  });

  it('reads <c/> from presence, ignoring legacy caps without a hash', () => {
    expect(capsOf(parseXml("<presence xmlns='jabber:client'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'/></presence>"))).toEqual({ hash: 'sha-1', node: 'n', ver: 'v' });
    expect(capsOf(parseXml("<presence xmlns='jabber:client'><c xmlns='http://jabber.org/protocol/caps' node='n' ver='v' ext='a b'/></presence>"))).toBeUndefined();
    expect(capsOf(parseXml("<presence xmlns='jabber:client'/>"))).toBeUndefined();
  });

  it('lists the +notify nodes of a feature list', () => {
    expect(notifyNodes(['http://jabber.org/protocol/nick+notify', 'urn:xmpp:avatar:metadata+notify', 'urn:xmpp:ping', '+notify'])).toEqual(['http://jabber.org/protocol/nick', 'urn:xmpp:avatar:metadata']);
  });
});
