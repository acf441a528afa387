// XEP-0313 §4: a query `<query xmlns='urn:xmpp:mam:2'/>` with its data-form filters
// (with, start, end, and from #extended before-id, after-id, ids), an RSM `<set/>`
// and `<flip-page/>`; plus the form a server returns to an IQ-get (§4.1.5).
import { StanzaError } from '@parley/stanza';
import { Element, x } from '@parley/xml';
import { DataField, NS_DATA_FORMS, dataForm } from '../dataforms';
import { NS_RSM, RsmRequest, rsmRequest } from '../rsm';
import { expectElement, isDateTime, kid } from '../util';
import { NS_MAM } from './ns';

/** A decoded MAM query. Absent filters do not restrict the result. */
export interface MamQuery {
  /** `queryid`: echoed in every `<result/>`. */
  queryId?: string;
  /** `node`: reserved for pubsub archives (XEP-0442); user archives refuse it. */
  node?: string;
  /** Bare or full JID. */
  with?: string;
  /** XEP-0082 DateTime, inclusive. */
  start?: string;
  /** XEP-0082 DateTime, inclusive. */
  end?: string;
  /** #extended: only items before this archive id. */
  beforeId?: string;
  /** #extended: only items after this archive id. */
  afterId?: string;
  /** #extended: only these archive ids. */
  ids?: string[];
  /** XEP-0059 paging. */
  rsm?: RsmRequest;
  /** #extended `<flip-page/>`: send the page newest first. */
  flipPage: boolean;
}

/** The form fields this codec understands (XEP-0313 §4.1 and #extended). */
export const MAM_QUERY_FIELDS = ['with', 'start', 'end', 'before-id', 'after-id', 'ids'] as const;

const single = (f: DataField): string | undefined => {
  if (f.values.length > 1) throw StanzaError.badRequest(`field '${f.var}' takes one value`);
  const v = f.values[0];
  return v === undefined || v === '' ? undefined : v;
};

/** Codec of `<query xmlns='urn:xmpp:mam:2'/>`. */
export const mamQuery = {
  /**
   * Decodes a query. Throws bad-request for a wrong FORM_TYPE, a malformed form,
   * time or RSM; feature-not-implemented for a form field it does not know (§4.1.5).
   * Empty fields count as absent.
   */
  fromElement(el: Element): MamQuery {
    expectElement(el, 'query', NS_MAM);
    const q: MamQuery = { flipPage: kid(el, NS_MAM, 'flip-page') !== undefined };
    if (el.attrs.queryid !== undefined) q.queryId = el.attrs.queryid;
    if (el.attrs.node !== undefined) q.node = el.attrs.node;
    const formEl = kid(el, NS_MAM, 'x', NS_DATA_FORMS);
    if (formEl) {
      const form = dataForm.fromElement(formEl);
      if (form.type !== 'submit' && form.type !== 'form') throw StanzaError.badRequest('the query form must be a submission');
      const formType = dataForm.formType(form);
      if (formType !== undefined && formType !== NS_MAM) throw StanzaError.badRequest(`FORM_TYPE must be ${NS_MAM}`);
      for (const f of form.fields) {
        switch (f.var) {
          case 'FORM_TYPE':
            break;
          case 'with':
            q.with = single(f);
            break;
          case 'start':
          case 'end': {
            const v = single(f);
            if (v !== undefined && !isDateTime(v)) throw StanzaError.badRequest(`'${f.var}' is not a XEP-0082 DateTime`);
            q[f.var] = v;
            break;
          }
          case 'before-id':
            q.beforeId = single(f);
            break;
          case 'after-id':
            q.afterId = single(f);
            break;
          case 'ids':
            q.ids = f.values.filter((v) => v !== '');
            break;
          default:
            throw StanzaError.featureNotImplemented(`unknown query field '${f.var}'`);
        }
      }
      for (const k of ['with', 'start', 'end', 'beforeId', 'afterId'] as const) if (q[k] === undefined) delete q[k];
    }
    const set = kid(el, NS_MAM, 'set', NS_RSM);
    if (set) q.rsm = rsmRequest.fromElement(set);
    return q;
  },

  /** Encodes a query (the form only when a filter is set). */
  toElement(q: MamQuery): Element {
    const fields: DataField[] = [];
    const add = (name: string, v: string | undefined) => v !== undefined && fields.push({ var: name, values: [v] });
    add('with', q.with);
    add('start', q.start);
    add('end', q.end);
    add('before-id', q.beforeId);
    add('after-id', q.afterId);
    if (q.ids !== undefined) fields.push({ var: 'ids', values: q.ids });
    return x(
      'query',
      { xmlns: NS_MAM, queryid: q.queryId, node: q.node },
      fields.length
        ? dataForm.toElement({ type: 'submit', fields: [{ var: 'FORM_TYPE', type: 'hidden', values: [NS_MAM] }, ...fields] })
        : undefined,
      q.rsm ? rsmRequest.toElement(q.rsm) : undefined,
      q.flipPage ? x('flip-page') : undefined,
    );
  },
};

/**
 * The reply payload to `<iq type='get'><query xmlns='urn:xmpp:mam:2'/></iq>` (§4.1.5):
 * every supported field, none required, `ids` an open list (XEP-0122).
 */
export function mamQueryForm(): Element {
  return x(
    'query',
    { xmlns: NS_MAM },
    dataForm.toElement({
      type: 'form',
      fields: [
        { var: 'FORM_TYPE', type: 'hidden', values: [NS_MAM] },
        { var: 'with', type: 'jid-single', values: [] },
        { var: 'start', type: 'text-single', values: [] },
        { var: 'end', type: 'text-single', values: [] },
        { var: 'before-id', type: 'text-single', values: [] },
        { var: 'after-id', type: 'text-single', values: [] },
        { var: 'ids', type: 'list-multi', values: [], validate: { datatype: 'xs:string', open: true } },
      ],
    }),
  );
}
