// XEP-0059: Result Set Management (`http://jabber.org/protocol/rsm`): the request
// (`max`, `after`, `before` — empty for the last page —, `index`) and the result
// (`first` with its `index`, `last`, `count`).
import { Element, x } from '@parley/xml';
import { expectElement, kid, nonNegativeInt } from './util';

/** `http://jabber.org/protocol/rsm`. */
export const NS_RSM = 'http://jabber.org/protocol/rsm';

/** A paging request. */
export interface RsmRequest {
  /** `<max/>`: page size (0: only the count). */
  max?: number;
  /** `<after/>`: items after this id. */
  after?: string;
  /** `<before/>`: items before this id; `''` (an empty `<before/>`) asks for the last page. */
  before?: string;
  /** `<index/>`: skip this many items from the start. */
  index?: number;
}

/** A page description in a result. */
export interface RsmResult {
  /** `<first/>`: id of the first item of the page (absent for an empty page). */
  first?: string;
  /** `<first index=...>`: the position of `first` in the whole result set. */
  firstIndex?: number;
  /** `<last/>`: id of the last item of the page. */
  last?: string;
  /** `<count/>`: items in the whole result set. */
  count?: number;
}

/** Codec of a request `<set/>`. */
export const rsmRequest = {
  /** Decodes; throws bad-request for a max/index that is not a non-negative integer. */
  fromElement(el: Element): RsmRequest {
    expectElement(el, 'set', NS_RSM);
    const r: RsmRequest = {};
    const max = kid(el, NS_RSM, 'max');
    if (max) r.max = nonNegativeInt('RSM max', max.text());
    const after = kid(el, NS_RSM, 'after');
    if (after) r.after = after.text();
    const before = kid(el, NS_RSM, 'before');
    if (before) r.before = before.text();
    const index = kid(el, NS_RSM, 'index');
    if (index) r.index = nonNegativeInt('RSM index', index.text());
    return r;
  },

  toElement(r: RsmRequest): Element {
    return x(
      'set',
      { xmlns: NS_RSM },
      r.max !== undefined ? x('max', null, String(r.max)) : undefined,
      r.after !== undefined ? x('after', null, r.after) : undefined,
      r.before !== undefined ? x('before', null, r.before) : undefined,
      r.index !== undefined ? x('index', null, String(r.index)) : undefined,
    );
  },
};

/** Codec of a result `<set/>`. */
export const rsmResult = {
  fromElement(el: Element): RsmResult {
    expectElement(el, 'set', NS_RSM);
    const r: RsmResult = {};
    const first = kid(el, NS_RSM, 'first');
    if (first) {
      r.first = first.text();
      if (first.attrs.index !== undefined) r.firstIndex = nonNegativeInt('RSM first index', first.attrs.index);
    }
    const last = kid(el, NS_RSM, 'last');
    if (last) r.last = last.text();
    const count = kid(el, NS_RSM, 'count');
    if (count) r.count = nonNegativeInt('RSM count', count.text());
    return r;
  },

  toElement(r: RsmResult): Element {
    return x(
      'set',
      { xmlns: NS_RSM },
      r.first !== undefined ? x('first', { index: r.firstIndex }, r.first) : undefined,
      r.last !== undefined ? x('last', null, r.last) : undefined,
      r.count !== undefined ? x('count', null, String(r.count)) : undefined,
    );
  },
};
