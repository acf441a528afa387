import { StanzaError } from '@parley/stanza';
import { parseXml } from '@parley/xml';
import { rosterItem, rosterQuery } from './roster';

const queryOf = (iq: string) => parseXml(iq).getChild('query', 'jabber:iq:roster')!;
const conditionOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof StanzaError ? `${e.condition}: ${e.text}` : String(e);
  }
  return undefined;
};

describe('RFC 6121 roster codec', () => {
  it('decodes a get with and without a version (§2.1.3, §2.6.2)', () => {
    expect(rosterQuery.getFromElement(queryOf(`<iq from='juliet@example.com/balcony' id='bv1b2m1' type='get'><query xmlns='jabber:iq:roster'/></iq>`))).toEqual({});
    expect(rosterQuery.getFromElement(queryOf(`<iq id='r1h3vzp7' type='get'><query xmlns='jabber:iq:roster' ver='ver14'/></iq>`))).toEqual({ ver: 'ver14' });
    expect(rosterQuery.getFromElement(queryOf(`<iq id='r1' type='get'><query xmlns='jabber:iq:roster' ver=''/></iq>`))).toEqual({ ver: '' });
  });

  it('decodes an update with name and groups, ignoring subscription attributes (§2.3.2, §2.1.2)', () => {
    const set = queryOf(`<iq from='juliet@example.com/balcony' id='rs1' type='set'>
      <query xmlns='jabber:iq:roster'>
        <item jid='nurse@example.com' name='Nurse' subscription='both' ask='subscribe'><group>Servants</group><group>Family</group></item>
      </query></iq>`);
    expect(rosterQuery.setFromElement(set)).toEqual({ kind: 'update', jid: 'nurse@example.com', name: 'Nurse', groups: ['Servants', 'Family'] });
  });

  it('decodes a removal (§2.5.2)', () => {
    const set = queryOf(`<iq from='juliet@example.com/balcony' id='hm4hs97y' type='set'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' subscription='remove'/></query></iq>`);
    expect(rosterQuery.setFromElement(set)).toEqual({ kind: 'remove', jid: 'nurse@example.com' });
  });

  it('refuses a set without exactly one item with a jid (§2.3.3)', () => {
    expect(conditionOf(() => rosterQuery.setFromElement(queryOf(`<iq type='set'><query xmlns='jabber:iq:roster'><item jid='a@x'/><item jid='b@x'/></query></iq>`)))).toBe('bad-request: a roster set carries exactly one <item/>');
    expect(conditionOf(() => rosterQuery.setFromElement(undefined))).toBe('bad-request: a roster set carries exactly one <item/>');
    expect(conditionOf(() => rosterQuery.setFromElement(queryOf(`<iq type='set'><query xmlns='jabber:iq:roster'><item name='x'/></query></iq>`)))).toBe('bad-request: the <item/> needs a jid');
  });

  it('encodes a result and pushes as §2.1.4 and §2.1.6 show them', () => {
    const q = rosterQuery.toElement({
      ver: 'ver11',
      items: [
        { jid: 'romeo@example.net', name: 'Romeo', subscription: 'both', groups: ['Friends'] },
        { jid: 'mercutio@example.com', name: '', subscription: 'to', ask: 'subscribe', groups: [] },
        { jid: 'benvolio@example.net', subscription: 'none', approved: true },
      ],
    });
    expect(q.toString()).toBe(
      '<query xmlns="jabber:iq:roster" ver="ver11">' +
        '<item jid="romeo@example.net" name="Romeo" subscription="both"><group>Friends</group></item>' +
        '<item jid="mercutio@example.com" subscription="to" ask="subscribe"/>' +
        '<item jid="benvolio@example.net" subscription="none" approved="true"/>' +
        '</query>',
    );
    expect(rosterItem.toElement({ jid: 'nurse@example.com', subscription: 'remove', name: 'ignored' }).toString()).toBe('<item jid="nurse@example.com" subscription="remove"/>');
  });
});
