import type { ArchiveLookupQuery } from '@parley/contracts';
import { ArchiveDomainError } from './errors';
import { planLookup, referencedIds } from './lookup';

const limits = { pageDefault: 50, pageMax: 100 };
const plan = (q: Partial<ArchiveLookupQuery>) => planLookup({ owner: 'alicE@localhost', ...q }, limits);
const conditionOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof ArchiveDomainError ? e.condition : String(e);
  }
  return undefined;
};

describe('planning a XEP-0313 query', () => {
  it('pages forward from the start with the default page size', () => {
    expect(plan({})).toEqual({ owner: 'alice@localhost', direction: 'forward', offset: 0, max: 50, count: true, flip: false, start: undefined, end: undefined, beforeId: undefined, afterId: undefined });
  });

  it('clamps max to the server limit and accepts max 0 (count only)', () => {
    expect(plan({ rsm: { max: 1000 } }).max).toBe(100);
    expect(plan({ rsm: { max: 0 } }).max).toBe(0);
  });

  it('pages forward after an id, backward before one, and takes an empty before as the last page', () => {
    expect(plan({ rsm: { after: 'x' } })).toMatchObject({ direction: 'forward', cursor: 'x' });
    expect(plan({ rsm: { before: 'y' } })).toMatchObject({ direction: 'backward', cursor: 'y' });
    const last = plan({ rsm: { before: '' } });
    expect(last.direction).toBe('backward');
    expect(last.cursor).toBeUndefined();
    expect(plan({ rsm: { index: 20 } })).toMatchObject({ direction: 'forward', offset: 20 });
  });

  it('splits a bare and a full with', () => {
    expect(plan({ with: 'bOb@localhost' })).toMatchObject({ withBare: 'bob@localhost' });
    expect(plan({ with: 'bOb@localhost' }).withFull).toBeUndefined();
    expect(plan({ with: 'bOb@localhost/Phone' })).toMatchObject({ withBare: 'bob@localhost', withFull: 'bob@localhost/Phone' });
  });

  it('parses XEP-0082 times and collects the ids that must exist', () => {
    const p = plan({ start: '2010-06-07T00:00:00Z', end: '2010-07-07T13:23:54.123+02:00', beforeId: 'b', afterId: 'a', ids: ['i', 'i', 'j'], rsm: { after: 'a' } });
    expect(p.start).toEqual(new Date('2010-06-07T00:00:00Z'));
    expect(p.end).toEqual(new Date('2010-07-07T11:23:54.123Z'));
    expect(p.ids).toEqual(['i', 'j']);
    expect(referencedIds(p).sort()).toEqual(['a', 'b', 'i', 'j']);
  });

  it.each<[string, Partial<ArchiveLookupQuery>]>([
    ['an owner with a resource', { owner: 'alice@localhost/phone' }],
    ['a malformed with', { with: 'no jid' }],
    ['a date that is not XEP-0082', { start: '2010-06-07' }],
    ['an impossible date', { end: '2010-13-45T99:00:00Z' }],
    ['a negative max', { rsm: { max: -1 } }],
    ['a fractional max', { rsm: { max: 1.5 } }],
    ['before and after together', { rsm: { before: 'a', after: 'b' } }],
    ['index with before', { rsm: { before: '', index: 3 } }],
    ['an empty id', { afterId: '' }],
    ['ids that are not a list', { ids: 'a' as never }],
  ])('refuses %s with bad-request', (_what, q) => {
    expect(conditionOf(() => plan(q))).toBe('bad-request');
  });
});
