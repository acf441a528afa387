// XEP-0115: Entity Capabilities — the `<c/>` a client puts in presence, and the
// verification string and hash (§5.1, §5.4) its disco#info answer must match before
// the features it lists are trusted (and shared with other gateways).
import { createHash } from 'node:crypto';
import { NS } from '@parley/stanza';
import { Element } from '@parley/xml';
import { dataForm, DataForm } from '../dataforms';
import { kid, kids } from '../util';

export const NS_CAPS = 'http://jabber.org/protocol/caps';

/** A presence's `<c xmlns='http://jabber.org/protocol/caps'/>`. */
export interface CapsElement {
  hash: string;
  node: string;
  ver: string;
}

/** Hash functions a verifier can compute (the IANA names XEP-0115 uses). */
const HASHES: Record<string, string> = { 'sha-1': 'sha1', 'sha-224': 'sha224', 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' };

/** Whether a caps `hash` attribute names a function this server can verify. */
export function capsHashSupported(hash: string): boolean {
  return hash in HASHES;
}

/** The first `<c/>` of a presence; legacy caps (no `hash`) and malformed ones are undefined. */
export function capsOf(presence: Element): CapsElement | undefined {
  const c = kid(presence, 'jabber:client', 'c', NS_CAPS);
  if (!c) return undefined;
  const { hash, node, ver } = c.attrs;
  if (!hash || !node || !ver || ver.length > 128 || node.length > 1024) return undefined;
  return { hash, node, ver };
}

/** A disco#info answer as the verification algorithm reads it. */
export interface DiscoInfo {
  identities: Array<{ category: string; type: string; lang?: string; name?: string }>;
  features: string[];
  forms: DataForm[];
}

/** Decodes `<query xmlns='http://jabber.org/protocol/disco#info'/>` (unusable forms are skipped). */
export function discoInfoFromElement(q: Element): DiscoInfo {
  const identities = kids(q, NS.discoInfo, 'identity').map((i) => ({
    category: i.attrs.category ?? '',
    type: i.attrs.type ?? '',
    lang: i.attrs['xml:lang'],
    name: i.attrs.name,
  }));
  const features = kids(q, NS.discoInfo, 'feature').map((f) => f.attrs.var ?? '');
  const forms: DataForm[] = [];
  for (const xel of kids(q, NS.discoInfo, 'x', 'jabber:x:data')) {
    try {
      forms.push(dataForm.fromElement(xel));
    } catch {
      // a malformed form makes the answer unverifiable (below)
      forms.push({ type: 'result', fields: [{ var: 'FORM_TYPE', values: [] }] });
    }
  }
  return { identities, features, forms };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The XEP-0115 §5.1 verification string S, or undefined when §5.4 says the answer
 * must not be accepted (duplicate identities or features, a form whose FORM_TYPE is
 * not a single value, two forms of one FORM_TYPE).
 */
export function capsVerificationString(info: DiscoInfo): string | undefined {
  const ids = info.identities.map((i) => `${i.category}/${i.type}/${i.lang ?? ''}/${i.name ?? ''}`);
  if (new Set(ids).size !== ids.length) return undefined;
  if (new Set(info.features).size !== info.features.length) return undefined;
  let s = '';
  for (const id of [...ids].sort(cmp)) s += `${id}<`;
  for (const f of [...info.features].sort(cmp)) s += `${f}<`;
  const forms: Array<{ type: string; form: DataForm }> = [];
  for (const form of info.forms) {
    const ft = form.fields.filter((f) => f.var === 'FORM_TYPE');
    if (ft.length === 0) continue; // §5.4 3.6: forms without FORM_TYPE are ignored
    if (ft.length > 1 || ft[0].values.length !== 1 || (ft[0].type !== undefined && ft[0].type !== 'hidden')) return undefined;
    forms.push({ type: ft[0].values[0], form });
  }
  if (new Set(forms.map((f) => f.type)).size !== forms.length) return undefined;
  for (const { type, form } of forms.sort((a, b) => cmp(a.type, b.type))) {
    s += `${type}<`;
    const fields = form.fields.filter((f) => f.var !== 'FORM_TYPE' && f.var !== undefined).sort((a, b) => cmp(a.var!, b.var!));
    for (const f of fields) {
      s += `${f.var}<`;
      for (const v of [...f.values].sort(cmp)) s += `${v}<`;
    }
  }
  return s;
}

/** The `ver` a disco#info answer hashes to with `hash` (base64), or undefined when unverifiable. */
export function capsVer(info: DiscoInfo, hash: string): string | undefined {
  const algo = HASHES[hash];
  const s = capsVerificationString(info);
  if (!algo || s === undefined) return undefined;
  return createHash(algo).update(s, 'utf8').digest('base64');
}

/** XEP-0163 §4: the nodes a feature list asks notifications for (`<node>+notify`). */
export function notifyNodes(features: readonly string[]): string[] {
  return features.filter((f) => f.endsWith('+notify') && f.length > '+notify'.length).map((f) => f.slice(0, -'+notify'.length));
}
