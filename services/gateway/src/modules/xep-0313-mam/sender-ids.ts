// What other modules may learn of the archive's work on one message: the XEP-0359
// stanza-id the SENDER's archive gave a message a client sent. XEP-0313 §3.5: it must
// not appear on the delivered message (the recipient has no access to that archive),
// but the sender's other resources get it inside their XEP-0280 sent carbons.
import type { Element } from '@parley/xml';

const ids = new WeakMap<Element, string | Promise<string | undefined>>();

/** Records the sender's archive id (or its coming) for a routed message element. */
export function setSenderArchiveId(stanza: Element, id: string | Promise<string | undefined>): void {
  ids.set(stanza, id);
}

/**
 * The stanza-id the sender's archive gave `stanza` (the element a client sent, after
 * routing): a string, a promise of one while the archive's preferences wait for the
 * roster, or undefined when the sender does not archive it.
 */
export function senderArchiveId(stanza: Element): string | Promise<string | undefined> | undefined {
  return ids.get(stanza);
}
