// XEP-0313 §4.2/§5: what a server sends back — one `<result/>` message per item, each
// wrapping the archived stanza in a XEP-0297 `<forwarded/>` with a XEP-0203 `<delay/>`;
// the closing `<fin/>` with the RSM page and `complete`; and #extended `<metadata/>`.
import { StanzaError } from '@parley/stanza';
import { Element, parseXml, x } from '@parley/xml';
import { NS_RSM, RsmResult, rsmResult } from '../rsm';
import { expectElement, isDateTime, kid, toDateTime } from '../util';
import { NS_CLIENT, NS_DELAY, NS_FORWARD, NS_MAM } from './ns';

/** One archived item as sent to the client. */
export interface MamResult {
  /** The query's `queryid`, when it had one. */
  queryId?: string;
  /** The archive id (the XEP-0359 stanza-id). */
  id: string;
  /** When the message was originally sent/received (the `<delay stamp/>`). */
  timestamp: string;
  /** The archived `<message/>`: an element, or its XML (parsed by `toElement`). */
  stanza: Element | string;
}

/** Codec of `<result xmlns='urn:xmpp:mam:2'/>`. */
export const mamResult = {
  toElement(r: MamResult): Element {
    const message = typeof r.stanza === 'string' ? parseXml(r.stanza) : r.stanza.clone();
    // Inside <forwarded/> the message's own namespace must be explicit (XEP-0297 §3).
    if (message.attrs.xmlns === undefined) message.attrs.xmlns = NS_CLIENT;
    return x(
      'result',
      { xmlns: NS_MAM, queryid: r.queryId, id: r.id },
      x('forwarded', { xmlns: NS_FORWARD }, x('delay', { xmlns: NS_DELAY, stamp: toDateTime(r.timestamp) }), message),
    );
  },

  /** Decodes a result (client side / tests); `stanza` is the forwarded element. */
  fromElement(el: Element): MamResult & { stanza: Element } {
    expectElement(el, 'result', NS_MAM);
    const id = el.attrs.id;
    if (!id) throw StanzaError.badRequest('result without id');
    const fwd = kid(el, NS_MAM, 'forwarded', NS_FORWARD);
    if (!fwd) throw StanzaError.badRequest('result without forwarded');
    const stamp = kid(fwd, NS_FORWARD, 'delay', NS_DELAY)?.attrs.stamp;
    if (!stamp || !isDateTime(stamp)) throw StanzaError.badRequest('forwarded without a valid delay stamp');
    const stanza = kid(fwd, NS_FORWARD, 'message', NS_CLIENT);
    if (!stanza) throw StanzaError.badRequest('forwarded without a message');
    const r: MamResult & { stanza: Element } = { id, timestamp: stamp, stanza };
    if (el.attrs.queryid !== undefined) r.queryId = el.attrs.queryid;
    return r;
  },
};

/**
 * The `<message/>` carrying one result to the querying resource (§4.2):
 * `<message to from id><result …/></message>`.
 */
export function mamResultMessage(o: { to: string; from?: string; id?: string; result: MamResult }): Element {
  return x('message', { to: o.to, from: o.from, id: o.id }, mamResult.toElement(o.result));
}

/** The end of a query: the page and whether the result set is complete. */
export interface MamFin {
  /** `complete='true'`: no further pages in the paging direction. */
  complete: boolean;
  /** `stable='false'` when results may still change (absent: stable). */
  stable?: boolean;
  /** RSM `first`/`last`/`count` of the page. */
  rsm: RsmResult;
}

/** Codec of `<fin xmlns='urn:xmpp:mam:2'/>` (the IQ result payload). */
export const mamFin = {
  toElement(f: MamFin): Element {
    return x(
      'fin',
      { xmlns: NS_MAM, complete: f.complete ? 'true' : undefined, stable: f.stable === false ? 'false' : undefined },
      rsmResult.toElement(f.rsm),
    );
  },

  fromElement(el: Element): MamFin {
    expectElement(el, 'fin', NS_MAM);
    const set = kid(el, NS_MAM, 'set', NS_RSM);
    const f: MamFin = {
      complete: el.attrs.complete === 'true' || el.attrs.complete === '1',
      rsm: set ? rsmResult.fromElement(set) : {},
    };
    if (el.attrs.stable === 'false' || el.attrs.stable === '0') f.stable = false;
    return f;
  },
};

/** #extended archive metadata: the first and last item, absent for an empty archive. */
export interface MamMetadata {
  start?: { id: string; timestamp: string };
  end?: { id: string; timestamp: string };
}

/** Codec of `<metadata xmlns='urn:xmpp:mam:2'/>`. */
export const mamMetadata = {
  toElement(m: MamMetadata): Element {
    const bound = (name: string, b?: { id: string; timestamp: string }) => (b ? x(name, { id: b.id, timestamp: toDateTime(b.timestamp) }) : undefined);
    return x('metadata', { xmlns: NS_MAM }, bound('start', m.start), bound('end', m.end));
  },

  fromElement(el: Element): MamMetadata {
    expectElement(el, 'metadata', NS_MAM);
    const m: MamMetadata = {};
    for (const name of ['start', 'end'] as const) {
      const b = kid(el, NS_MAM, name);
      if (b && b.attrs.id && b.attrs.timestamp) m[name] = { id: b.attrs.id, timestamp: b.attrs.timestamp };
    }
    return m;
  },
};
