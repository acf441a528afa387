// XEP-0203 Delayed Delivery: stamping a stored stanza with its arrival time.
import { NS } from './ns';

function attr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

/** The `<delay/>` element for a message that arrived at `stamp`, delayed by `from` (the server's domain). */
export function delayElement(o: { from: string; stamp: Date }): string {
  return `<delay xmlns='${NS.delay}' from='${attr(o.from)}' stamp='${o.stamp.toISOString()}'/>`;
}

const SELF_CLOSING_ROOT = /^(\s*(?:<\?xml[^>]*\?>\s*)?<((?:[A-Za-z_][\w.-]*:)?message)(?=[\s/>])[^>]*?)\s*\/>\s*$/;
const ROOT_NAME = /^\s*(?:<\?xml[^>]*\?>\s*)?<((?:[A-Za-z_][\w.-]*:)?message)(?=[\s/>])/;

/**
 * `stanza` with a `<delay/>` appended as the last child of its root `<message/>`, by
 * string surgery on the serialised form (no parsing). Returns undefined when the text
 * does not look like one `<message>...</message>` (or `<message/>`) element.
 */
export function stampDelay(stanza: string, o: { from: string; stamp: Date }): string | undefined {
  const delay = delayElement(o);
  const selfClosing = SELF_CLOSING_ROOT.exec(stanza);
  if (selfClosing) return `${selfClosing[1]}>${delay}</${selfClosing[2]}>`;
  const root = ROOT_NAME.exec(stanza);
  if (!root) return undefined;
  const close = new RegExp(`</${root[1].replace(/\./g, '\\.')}\\s*>\\s*$`).exec(stanza);
  if (!close) return undefined;
  return stanza.slice(0, close.index) + delay + stanza.slice(close.index);
}
