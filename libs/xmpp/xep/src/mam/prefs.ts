// XEP-0441 (formerly XEP-0313 §6): `<prefs xmlns='urn:xmpp:mam:2' default=…>` with
// `<always/>` and `<never/>` lists of `<jid/>`.
import { StanzaError } from '@parley/stanza';
import { Element, x } from '@parley/xml';
import { expectElement, kid, kids } from '../util';
import { NS_MAM } from './ns';
import type { MamDefault, MamPrefs } from './prefs-rules';

const DEFAULTS: readonly MamDefault[] = ['always', 'never', 'roster'];

const jids = (el: Element | undefined): string[] =>
  el
    ? kids(el, NS_MAM, 'jid').map((j) => {
        const t = j.text().trim();
        if (!t) throw StanzaError.badRequest('empty <jid/> in archiving preferences');
        return t;
      })
    : [];

/** Codec of `<prefs/>`. */
export const mamPrefs = {
  /** Decodes; a missing list is empty (§config-always/never); a missing or unknown default is bad-request. */
  fromElement(el: Element): MamPrefs {
    expectElement(el, 'prefs', NS_MAM);
    const def = el.attrs.default as MamDefault | undefined;
    if (def === undefined || !DEFAULTS.includes(def)) throw StanzaError.badRequest(`prefs default must be one of ${DEFAULTS.join(', ')}`);
    return { default: def, always: jids(kid(el, NS_MAM, 'always')), never: jids(kid(el, NS_MAM, 'never')) };
  },

  /** Encodes; `<always/>` and `<never/>` are always present, as a result must have them. */
  toElement(p: MamPrefs): Element {
    return x(
      'prefs',
      { xmlns: NS_MAM, default: p.default },
      x('always', null, ...p.always.map((j) => x('jid', null, j))),
      x('never', null, ...p.never.map((j) => x('jid', null, j))),
    );
  },
};
