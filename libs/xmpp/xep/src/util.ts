// Helpers shared by the codecs: namespace-aware child lookup (an element carries
// `xmlns` only where its namespace differs from its parent's) and XEP-0082 times.
import type { Element } from '@parley/xml';
import { StanzaError } from '@parley/stanza';

/** The namespace of `el`: its own `xmlns`, else `inherited` (its parent's). */
export function nsOf(el: Element, inherited?: string): string | undefined {
  return el.attrs.xmlns ?? inherited;
}

/** Direct children of `el` (itself in namespace `elNs`) named `name` in namespace `ns` (default: `elNs`). */
export function kids(el: Element, elNs: string, name: string, ns: string = elNs): Element[] {
  const out: Element[] = [];
  for (const c of el.children) {
    if (typeof c === 'string' || c.name !== name) continue;
    if ((c.attrs.xmlns ?? elNs) === ns) out.push(c);
  }
  return out;
}

/** The first of {@link kids}, or undefined. */
export function kid(el: Element, elNs: string, name: string, ns: string = elNs): Element | undefined {
  return kids(el, elNs, name, ns)[0];
}

/** Checks that `el` is `<name xmlns=ns>`, else bad-request. */
export function expectElement(el: Element, name: string, ns: string): void {
  if (el.name !== name || nsOf(el, ns) !== ns) throw StanzaError.badRequest(`expected <${name} xmlns='${ns}'/>`);
}

// XEP-0082 §3.3 DateTime: CCYY-MM-DDThh:mm:ss[.sss]TZD
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/** Whether `s` is a XEP-0082 DateTime naming a real instant. */
export function isDateTime(s: string): boolean {
  const m = DATETIME.exec(s);
  if (!m) return false;
  const [mo, d, h, mi, se] = [m[2], m[3], m[4], m[5], m[6]].map(Number);
  return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && se <= 60 && !Number.isNaN(Date.parse(s));
}

/** Formats an instant as a XEP-0082 DateTime in UTC (with milliseconds). */
export function toDateTime(d: Date | string): string {
  return (typeof d === 'string' ? new Date(d) : d).toISOString();
}

/** Parses a non-negative decimal integer (XEP-0059 max/index, counts), else bad-request. */
export function nonNegativeInt(what: string, s: string): number {
  const t = s.trim();
  if (!/^\d{1,9}$/.test(t)) throw StanzaError.badRequest(`${what} must be a non-negative integer`);
  return Number(t);
}
