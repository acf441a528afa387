import { StanzaError } from '@parley/stanza';
import { parseXml } from '@parley/xml';
import { rsmRequest, rsmResult } from './rsm';

const NS = `xmlns='http://jabber.org/protocol/rsm'`;

describe('XEP-0059 result set management', () => {
  it('decodes the requests of the XEP examples (limit, next page, previous page, last page, index)', () => {
    expect(rsmRequest.fromElement(parseXml(`<set ${NS}><max>10</max></set>`))).toEqual({ max: 10 });
    expect(rsmRequest.fromElement(parseXml(`<set ${NS}><max>10</max><after>peterpan@neverland.lit</after></set>`))).toEqual({
      max: 10,
      after: 'peterpan@neverland.lit',
    });
    expect(rsmRequest.fromElement(parseXml(`<set ${NS}><max>10</max><before>peter@pixyland.org</before></set>`))).toEqual({
      max: 10,
      before: 'peter@pixyland.org',
    });
    expect(rsmRequest.fromElement(parseXml(`<set ${NS}><max>10</max><before/></set>`))).toEqual({ max: 10, before: '' });
    expect(rsmRequest.fromElement(parseXml(`<set ${NS}><max>10</max><index>371</index></set>`))).toEqual({ max: 10, index: 371 });
    expect(rsmRequest.fromElement(parseXml(`<set ${NS}><max>0</max></set>`))).toEqual({ max: 0 });
  });

  it('decodes a result page with first index, last and count', () => {
    const r = rsmResult.fromElement(parseXml(`<set ${NS}><first index='0'>stpeter@jabber.org</first><last>peterpan@neverland.lit</last><count>800</count></set>`));
    expect(r).toEqual({ first: 'stpeter@jabber.org', firstIndex: 0, last: 'peterpan@neverland.lit', count: 800 });
    expect(rsmResult.fromElement(parseXml(`<set ${NS}><count>0</count></set>`))).toEqual({ count: 0 });
  });

  it('encodes and round-trips requests and results, an empty before included', () => {
    expect(rsmRequest.toElement({ max: 10, before: '' }).toString()).toBe(`<set xmlns="http://jabber.org/protocol/rsm"><max>10</max><before/></set>`);
    expect(rsmResult.toElement({ first: 'a', firstIndex: 3, last: 'b', count: 20 }).toString()).toBe(
      `<set xmlns="http://jabber.org/protocol/rsm"><first index="3">a</first><last>b</last><count>20</count></set>`,
    );
    for (const r of [{ max: 5, after: 'x' }, { before: 'y' }, { index: 2, max: 1 }, {}])
      expect(rsmRequest.fromElement(parseXml(rsmRequest.toElement(r).toString()))).toEqual(r);
  });

  it.each([`<max>-1</max>`, `<max>ten</max>`, `<max/>`, `<index>1.5</index>`])('refuses %s with bad-request', (child) => {
    let err: unknown;
    try {
      rsmRequest.fromElement(parseXml(`<set ${NS}>${child}</set>`));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StanzaError);
    expect((err as StanzaError).condition).toBe('bad-request');
  });
});
