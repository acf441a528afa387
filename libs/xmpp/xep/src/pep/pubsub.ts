// XEP-0060 / XEP-0163 / XEP-0223: the PEP requests a client sends to its own or a
// contact's bare JID, the event notifications, and the errors, as typed values.
// Only what PEP needs: publish (with publish-options), retract, items, and the owner's
// node deletion; subscribe/unsubscribe are implicit (presence + `+notify`).
import { StanzaError } from '@parley/stanza';
import { Element, x } from '@parley/xml';
import { dataForm, NS_DATA_FORMS } from '../dataforms';
import { kid, kids } from '../util';

export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
export const NS_PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
export const NS_PUBSUB_ERRORS = 'http://jabber.org/protocol/pubsub#errors';
export const NS_PUBSUB_PUBLISH_OPTIONS = 'http://jabber.org/protocol/pubsub#publish-options';
export const NS_PUBSUB_NODE_CONFIG = 'http://jabber.org/protocol/pubsub#node_config';

/** A decoded `<pubsub xmlns='http://jabber.org/protocol/pubsub'/>` (or `#owner`) request. */
export type PepRequest =
  | { kind: 'publish'; node: string; item: { id?: string; payload?: Element }; options?: Record<string, string[]> }
  | { kind: 'retract'; node: string; id: string; notify: boolean }
  | { kind: 'items'; node: string; ids?: string[]; max?: number }
  | { kind: 'delete'; node: string }
  | { kind: 'configure-get'; node: string }
  | { kind: 'configure'; node: string; options: Record<string, string[]> };

/** A pubsub error: the stanza condition plus the `pubsub#errors` one (XEP-0060 §7, §6.5). */
export function pubsubError(condition: string, pubsub?: string, text?: string, type?: StanzaError['type']): StanzaError {
  return new StanzaError(condition, text, type, pubsub ? x(pubsub, { xmlns: NS_PUBSUB_ERRORS }) : undefined);
}

const nodeOf = (el: Element): string => {
  const node = el.attrs.node;
  if (!node) throw pubsubError('bad-request', 'nodeid-required');
  if (node.length > 1024) throw StanzaError.badRequest('node name too long');
  return node;
};

/** Decodes the `<pubsub/>` child of an IQ; unsupported actions are feature-not-implemented with `unsupported`. */
export function pepRequestFromElement(type: 'get' | 'set', ps: Element): PepRequest {
  const ns = ps.attrs.xmlns;
  const children = ps.children.filter((c): c is Element => typeof c !== 'string');
  if (ns === NS_PUBSUB_OWNER) {
    const del = kid(ps, NS_PUBSUB_OWNER, 'delete');
    if (type === 'set' && del) return { kind: 'delete', node: nodeOf(del) };
    const configure = kid(ps, NS_PUBSUB_OWNER, 'configure');
    if (configure && type === 'get') return { kind: 'configure-get', node: nodeOf(configure) };
    if (configure) {
      const form = kid(configure, NS_PUBSUB_OWNER, 'x', NS_DATA_FORMS);
      if (!form) throw StanzaError.badRequest('a configuration form is required');
      return { kind: 'configure', node: nodeOf(configure), options: submittedForm(form, NS_PUBSUB_NODE_CONFIG) };
    }
    throw pubsubError('feature-not-implemented', 'unsupported', undefined, 'cancel');
  }
  if (type === 'get') {
    const items = kid(ps, NS_PUBSUB, 'items');
    if (!items) throw pubsubError('feature-not-implemented', 'unsupported', undefined, 'cancel');
    const ids = kids(items, NS_PUBSUB, 'item').map((i) => i.attrs.id ?? '');
    if (ids.some((id) => !id)) throw pubsubError('bad-request', 'item-required');
    const out: PepRequest = { kind: 'items', node: nodeOf(items) };
    if (ids.length) out.ids = ids;
    if (items.attrs.max_items !== undefined) {
      const n = Number(items.attrs.max_items);
      if (!Number.isInteger(n) || n < 1) throw StanzaError.badRequest('max_items must be a positive integer');
      out.max = n;
    }
    return out;
  }
  const publish = kid(ps, NS_PUBSUB, 'publish');
  if (publish) {
    const node = nodeOf(publish);
    const items = kids(publish, NS_PUBSUB, 'item');
    if (items.length !== 1) throw pubsubError('bad-request', items.length ? 'invalid-payload' : 'item-required');
    const payloads = items[0].children.filter((c): c is Element => typeof c !== 'string');
    if (payloads.length > 1) throw pubsubError('bad-request', 'invalid-payload');
    const item: { id?: string; payload?: Element } = {};
    if (items[0].attrs.id) item.id = items[0].attrs.id;
    if (payloads[0]) item.payload = payloads[0];
    if (!item.payload) throw pubsubError('bad-request', 'payload-required');
    const out: PepRequest = { kind: 'publish', node, item };
    const po = kid(ps, NS_PUBSUB, 'publish-options');
    const form = po && kid(po, NS_PUBSUB, 'x', NS_DATA_FORMS);
    if (form) out.options = publishOptionsFromForm(form);
    return out;
  }
  const retract = kid(ps, NS_PUBSUB, 'retract');
  if (retract) {
    const ids = kids(retract, NS_PUBSUB, 'item').map((i) => i.attrs.id ?? '');
    if (ids.length !== 1 || !ids[0]) throw pubsubError('bad-request', 'item-required');
    const n = retract.attrs.notify;
    return { kind: 'retract', node: nodeOf(retract), id: ids[0], notify: n === 'true' || n === '1' };
  }
  if (children.some((c) => c.name === 'subscribe' || c.name === 'unsubscribe')) throw pubsubError('feature-not-implemented', 'subscribe', 'PEP subscriptions follow presence and +notify', 'cancel');
  throw pubsubError('feature-not-implemented', 'unsupported', undefined, 'cancel');
}

/** XEP-0060 §7.1.5: the publish-options form as field → values (FORM_TYPE checked, then dropped). */
export function publishOptionsFromForm(el: Element): Record<string, string[]> {
  return submittedForm(el, NS_PUBSUB_PUBLISH_OPTIONS);
}

/** A submitted form of `formType` as field → values (FORM_TYPE checked, then dropped). */
function submittedForm(el: Element, formType: string): Record<string, string[]> {
  const form = dataForm.fromElement(el);
  if (form.type !== 'submit') throw StanzaError.badRequest('expected a submitted form');
  const ft = dataForm.formType(form);
  if (ft !== formType) throw StanzaError.badRequest(`the form's FORM_TYPE must be ${formType}`);
  const out: Record<string, string[]> = {};
  for (const f of form.fields) if (f.var && f.var !== 'FORM_TYPE') out[f.var] = f.values;
  return out;
}

/** The `<publish/>` result (§7.1.2) with the id the item got. */
export function publishResult(node: string, id: string): Element {
  return x('pubsub', { xmlns: NS_PUBSUB }, x('publish', { node }, x('item', { id })));
}

/** An items result (§6.5.2). */
export function itemsResult(node: string, items: Array<{ id: string; payload?: Element }>): Element {
  return x('pubsub', { xmlns: NS_PUBSUB }, x('items', { node }, ...items.map((i) => x('item', { id: i.id }, i.payload))));
}

/** The `<event/>` of a notification (§7.1.2.1, §7.2.2.1 retract, §8.4.2 delete). */
export function eventElement(node: string, change: { kind: 'items'; id: string; payload?: Element } | { kind: 'retract'; id: string } | { kind: 'delete' }): Element {
  if (change.kind === 'delete') return x('event', { xmlns: NS_PUBSUB_EVENT }, x('delete', { node }));
  if (change.kind === 'retract') return x('event', { xmlns: NS_PUBSUB_EVENT }, x('items', { node }, x('retract', { id: change.id })));
  return x('event', { xmlns: NS_PUBSUB_EVENT }, x('items', { node }, x('item', { id: change.id }, change.payload)));
}

/** XEP-0060 §8.2.1 the configuration form of a node, with the fields PEP supports here. */
export function nodeConfigForm(node: string, c: { accessModel: string; maxItems: number; persistItems: boolean; sendLast: string; rosterGroups: string[] }, maxItemsLimit: number): Element {
  const list = (v: string, label: string, value: string, options: string[]) =>
    x('field', { var: v, type: 'list-single', label }, x('value', null, value), ...options.map((o) => x('option', null, x('value', null, o))));
  return x(
    'pubsub',
    { xmlns: NS_PUBSUB_OWNER },
    x(
      'configure',
      { node },
      x(
        'x',
        { xmlns: NS_DATA_FORMS, type: 'form' },
        x('field', { var: 'FORM_TYPE', type: 'hidden' }, x('value', null, NS_PUBSUB_NODE_CONFIG)),
        list('pubsub#access_model', 'Who may subscribe and retrieve items', c.accessModel, ['open', 'presence', 'roster', 'whitelist']),
        x('field', { var: 'pubsub#max_items', type: 'text-single', label: `Items kept (at most ${maxItemsLimit}, or max)` }, x('value', null, String(c.maxItems))),
        x('field', { var: 'pubsub#persist_items', type: 'boolean', label: 'Keep items' }, x('value', null, c.persistItems ? '1' : '0')),
        list('pubsub#send_last_published_item', 'When to send the last item', c.sendLast, ['never', 'on_sub', 'on_sub_and_presence']),
        x('field', { var: 'pubsub#roster_groups_allowed', type: 'list-multi', label: 'Roster groups allowed (roster access)' }, ...c.rosterGroups.map((g) => x('value', null, g))),
      ),
    ),
  );
}
