import { StanzaError } from '@parley/stanza';
import { Element, parseXml } from '@parley/xml';
import { NS_MAM } from './ns';
import { mamPrefs } from './prefs';
import { mamQuery, mamQueryForm } from './query';
import { mamFin, mamMetadata, mamResult, mamResultMessage } from './results';

/** The `<query/>` of an `<iq/>` fixture. */
const queryOf = (iq: string): Element => parseXml(iq).getChild('query', NS_MAM)!;
const conditionOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof StanzaError ? e.condition : String(e);
  }
  return undefined;
};
const form = (fields: string) =>
  `<iq type='set' id='juliet1'><query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'>` +
  `<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>${fields}</x></query></iq>`;

describe('XEP-0313 queries', () => {
  it('decodes a bare query with its queryid (§4 example)', () => {
    expect(mamQuery.fromElement(queryOf(`<iq type='set' id='juliet1'><query xmlns='urn:xmpp:mam:2' queryid='f27' /></iq>`))).toEqual({
      queryId: 'f27',
      flipPage: false,
    });
  });

  it('decodes the with, start/end, after-id/before-id and ids filters (§4.1 examples)', () => {
    expect(
      mamQuery.fromElement(
        queryOf(`<iq type='set' id='juliet1'>
  <query xmlns='urn:xmpp:mam:2'>
    <x xmlns='jabber:x:data' type='submit'>
      <field var='FORM_TYPE' type='hidden'>
        <value>urn:xmpp:mam:2</value>
      </field>
      <field var='with'>
        <value>juliet@capulet.lit</value>
      </field>
    </x>
  </query>
</iq>`),
      ),
    ).toEqual({ with: 'juliet@capulet.lit', flipPage: false });
    expect(
      mamQuery.fromElement(queryOf(form(`<field var='start'><value>2010-06-07T00:00:00Z</value></field><field var='end'><value>2010-07-07T13:23:54Z</value></field>`))),
    ).toEqual({ start: '2010-06-07T00:00:00Z', end: '2010-07-07T13:23:54Z', flipPage: false });
    expect(
      mamQuery.fromElement(
        queryOf(form(`<field var='after-id'><value>28482-98726-73623</value></field><field var='before-id'><value>09af3-cc343-b409f</value></field>`)),
      ),
    ).toEqual({ afterId: '28482-98726-73623', beforeId: '09af3-cc343-b409f', flipPage: false });
    expect(mamQuery.fromElement(queryOf(form(`<field var='ids'><value>28482-98726-73623</value><value>09af3-cc343-b409f</value></field>`)))).toEqual({
      ids: ['28482-98726-73623', '09af3-cc343-b409f'],
      flipPage: false,
    });
  });

  it('decodes RSM paging, the last-page request and flip-page (§4.3 examples)', () => {
    const page = `<iq type='set' id='q29303'>
  <query xmlns='urn:xmpp:mam:2'>
      <x xmlns='jabber:x:data' type='submit'>
        <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>
        <field var='start'><value>2010-08-07T00:00:00Z</value></field>
      </x>
      <set xmlns='http://jabber.org/protocol/rsm'>
         <max>10</max>
         <after>09af3-cc343-b409f</after>
      </set>
      <flip-page/>
  </query>
</iq>`;
    expect(mamQuery.fromElement(queryOf(page))).toEqual({ start: '2010-08-07T00:00:00Z', rsm: { max: 10, after: '09af3-cc343-b409f' }, flipPage: true });
    const last = `<iq type='set' id='q29303'><query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>10</max><before/></set></query></iq>`;
    expect(mamQuery.fromElement(queryOf(last)).rsm).toEqual({ max: 10, before: '' });
  });

  it('treats empty fields as absent', () => {
    expect(mamQuery.fromElement(queryOf(form(`<field var='with'/><field var='start'><value></value></field>`)))).toEqual({ flipPage: false });
  });

  it('answers feature-not-implemented for a field it does not know (§4.1.5)', () => {
    expect(conditionOf(() => mamQuery.fromElement(queryOf(form(`<field var='{http://example.com/}free-text-search'><value>x</value></field>`))))).toBe(
      'feature-not-implemented',
    );
    expect(conditionOf(() => mamQuery.fromElement(queryOf(form(`<field var='include-groupchat'><value>true</value></field>`))))).toBe('feature-not-implemented');
  });

  it.each([
    ['a foreign FORM_TYPE', `<iq><query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:1</value></field></x></query></iq>`],
    ['a start that is not a DateTime', form(`<field var='start'><value>yesterday</value></field>`)],
    ['an end without zone', form(`<field var='end'><value>2010-07-07T13:23:54</value></field>`)],
    ['two values for with', form(`<field var='with'><value>a@b</value><value>c@d</value></field>`)],
    ['a bad RSM max', `<iq><query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>many</max></set></query></iq>`],
    ['a cancelled form', `<iq><query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='cancel'/></query></iq>`],
  ])('answers bad-request for %s', (_what, iq) => {
    expect(conditionOf(() => mamQuery.fromElement(queryOf(iq)))).toBe('bad-request');
  });

  it('refuses an element that is not a mam:2 query', () => {
    expect(conditionOf(() => mamQuery.fromElement(parseXml(`<query xmlns='urn:xmpp:mam:1'/>`)))).toBe('bad-request');
  });

  it('round-trips a query through toElement', () => {
    const q = { queryId: 'q1', with: 'romeo@montague.lit/orchard', start: '2010-08-07T00:00:00Z', ids: ['a', 'b'], afterId: 'c', rsm: { max: 5, before: '' }, flipPage: true };
    expect(mamQuery.fromElement(parseXml(mamQuery.toElement(q).toString()))).toEqual(q);
    expect(mamQuery.toElement({ flipPage: false }).toString()).toBe(`<query xmlns="urn:xmpp:mam:2"/>`);
  });

  it('offers the supported fields, none required, ids as an open list (§4.1.5)', () => {
    const f = mamQueryForm();
    expect(f.toString()).toBe(
      `<query xmlns="urn:xmpp:mam:2"><x xmlns="jabber:x:data" type="form">` +
        `<field var="FORM_TYPE" type="hidden"><value>urn:xmpp:mam:2</value></field>` +
        `<field var="with" type="jid-single"/><field var="start" type="text-single"/><field var="end" type="text-single"/>` +
        `<field var="before-id" type="text-single"/><field var="after-id" type="text-single"/>` +
        `<field var="ids" type="list-multi"><validate xmlns="http://jabber.org/protocol/xdata-validate" datatype="xs:string"><open/></validate></field>` +
        `</x></query>`,
    );
    expect(f.toString()).not.toContain('required');
  });
});

describe('XEP-0313 results', () => {
  it('wraps an archived message in result/forwarded/delay (§4.2 example)', () => {
    const stored = `<message xmlns='jabber:client' to='juliet@capulet.lit/balcony' from='romeo@montague.lit/orchard' type='chat'><body>Call me but love, and I'll be new baptized; Henceforth I never will be Romeo.</body></message>`;
    const msg = mamResultMessage({
      to: 'juliet@capulet.lit/chamber',
      id: 'aeb213',
      result: { queryId: 'f27', id: '28482-98726-73623', timestamp: '2010-07-10T23:08:25Z', stanza: stored },
    });
    expect(msg.toString()).toBe(
      `<message to="juliet@capulet.lit/chamber" id="aeb213"><result xmlns="urn:xmpp:mam:2" queryid="f27" id="28482-98726-73623">` +
        `<forwarded xmlns="urn:xmpp:forward:0"><delay xmlns="urn:xmpp:delay" stamp="2010-07-10T23:08:25.000Z"/>` +
        `<message xmlns="jabber:client" to="juliet@capulet.lit/balcony" from="romeo@montague.lit/orchard" type="chat">` +
        `<body>Call me but love, and I'll be new baptized; Henceforth I never will be Romeo.</body></message></forwarded></result></message>`,
    );
    const back = mamResult.fromElement(parseXml(msg.toString()).getChild('result', NS_MAM)!);
    expect(back).toMatchObject({ queryId: 'f27', id: '28482-98726-73623', timestamp: '2010-07-10T23:08:25.000Z' });
    expect(back.stanza.getChildText('body')).toMatch(/^Call me but love/);
  });

  it('gives a stored message without xmlns the jabber:client namespace inside forwarded', () => {
    const r = mamResult.toElement({ id: 'x', timestamp: '2010-07-10T23:08:25Z', stanza: `<message from='a@b'><body>hi</body></message>` });
    expect(r.toString()).toContain(`<message from="a@b" xmlns="jabber:client">`);
  });

  it('decodes a result from the XEP', () => {
    const el = parseXml(`<message id='aeb214' to='juliet@capulet.lit/chamber'>
  <result xmlns='urn:xmpp:mam:2' queryid='f27' id='5d398-28273-f7382'>
    <forwarded xmlns='urn:xmpp:forward:0'>
      <delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:09:32Z'/>
      <message xmlns='jabber:client' to='romeo@montague.lit/orchard' from='juliet@capulet.lit/balcony' type='chat' id='8a54s'>
        <body>What man art thou that thus bescreen'd in night so stumblest on my counsel?</body>
      </message>
    </forwarded>
  </result>
</message>`);
    const r = mamResult.fromElement(el.getChild('result', NS_MAM)!);
    expect(r).toMatchObject({ queryId: 'f27', id: '5d398-28273-f7382', timestamp: '2010-07-10T23:09:32Z' });
    expect(r.stanza.attrs.id).toBe('8a54s');
  });

  it('encodes and decodes fin with complete and the RSM page (§4.3 examples)', () => {
    const fin = parseXml(`<iq type='result' id='u29303'>
  <fin xmlns='urn:xmpp:mam:2' complete='true'>
    <set xmlns='http://jabber.org/protocol/rsm'>
      <first index='0'>23452-4534-1</first>
      <last>390-2342-22</last>
      <count>16</count>
    </set>
  </fin>
</iq>`).getChild('fin', NS_MAM)!;
    const decoded = mamFin.fromElement(fin);
    expect(decoded).toEqual({ complete: true, rsm: { first: '23452-4534-1', firstIndex: 0, last: '390-2342-22', count: 16 } });
    expect(mamFin.toElement(decoded).toString()).toBe(
      `<fin xmlns="urn:xmpp:mam:2" complete="true"><set xmlns="http://jabber.org/protocol/rsm"><first index="0">23452-4534-1</first><last>390-2342-22</last><count>16</count></set></fin>`,
    );
    expect(mamFin.toElement({ complete: false, rsm: { count: 0 } }).toString()).toBe(
      `<fin xmlns="urn:xmpp:mam:2"><set xmlns="http://jabber.org/protocol/rsm"><count>0</count></set></fin>`,
    );
    expect(mamFin.fromElement(parseXml(`<fin xmlns='urn:xmpp:mam:2' stable='false'/>`))).toEqual({ complete: false, stable: false, rsm: {} });
  });

  it('encodes and decodes archive metadata (#extended)', () => {
    const m = mamMetadata.fromElement(
      parseXml(`<metadata xmlns='urn:xmpp:mam:2'><start id='YWxwaGEg' timestamp='2008-08-22T21:09:04Z' /><end id='b21lZ2Eg' timestamp='2020-04-20T14:34:21Z' /></metadata>`),
    );
    expect(m).toEqual({ start: { id: 'YWxwaGEg', timestamp: '2008-08-22T21:09:04Z' }, end: { id: 'b21lZ2Eg', timestamp: '2020-04-20T14:34:21Z' } });
    expect(mamMetadata.toElement({}).toString()).toBe(`<metadata xmlns="urn:xmpp:mam:2"/>`);
    expect(mamMetadata.toElement(m).toString()).toContain(`<start id="YWxwaGEg" timestamp="2008-08-22T21:09:04.000Z"/>`);
  });
});

describe('XEP-0441 preferences', () => {
  it('decodes the set example and re-encodes it', () => {
    const p = mamPrefs.fromElement(
      parseXml(`<iq type='set' id='juliet3'>
  <prefs xmlns='urn:xmpp:mam:2' default='roster'>
    <always>
      <jid>romeo@montague.lit</jid>
    </always>
    <never>
      <jid>montague@montague.lit</jid>
    </never>
  </prefs>
</iq>`).getChild('prefs', NS_MAM)!,
    );
    expect(p).toEqual({ default: 'roster', always: ['romeo@montague.lit'], never: ['montague@montague.lit'] });
    expect(mamPrefs.toElement(p).toString()).toBe(
      `<prefs xmlns="urn:xmpp:mam:2" default="roster"><always><jid>romeo@montague.lit</jid></always><never><jid>montague@montague.lit</jid></never></prefs>`,
    );
  });

  it('always encodes both lists, and reads missing lists as empty', () => {
    expect(mamPrefs.toElement({ default: 'never', always: [], never: [] }).toString()).toBe(`<prefs xmlns="urn:xmpp:mam:2" default="never"><always/><never/></prefs>`);
    expect(mamPrefs.fromElement(parseXml(`<prefs xmlns='urn:xmpp:mam:2' default='always'/>`))).toEqual({ default: 'always', always: [], never: [] });
  });

  it.each([`<prefs xmlns='urn:xmpp:mam:2'/>`, `<prefs xmlns='urn:xmpp:mam:2' default='sometimes'/>`, `<prefs xmlns='urn:xmpp:mam:2' default='never'><never><jid> </jid></never></prefs>`])(
    'refuses %s with bad-request',
    (xml) => {
      expect(conditionOf(() => mamPrefs.fromElement(parseXml(xml)))).toBe('bad-request');
    },
  );
});
