// Which messages may wait offline (RFC 6121 §8.5.2.2, XEP-0160 §3, XEP-0334, XEP-0085):
// the facts the gateway states in an `offline.cmd.store` hand-off. Pure.
import type { OfflineMessageType } from '@parley/contracts';
import { messageType, NS } from '@parley/stanza';
import type { Element } from '@parley/xml';

/** XEP-0085 chat states. */
export const NS_CHATSTATES = 'http://jabber.org/protocol/chatstates';


/** What the offline hand-off says about a message. */
export interface OfflineFacts {
  /** RFC 6121 §5.2.2: absent or unknown → `normal`. */
  type: OfflineMessageType;
  /** XEP-0334 `<no-store/>`. */
  noStore: boolean;
  /** Only XEP-0085 chat state (plus thread and hints): XEP-0160 §3 and XEP-0085 §5.5 say not to store it. */
  chatStateOnly: boolean;
}

/** The namespace a child of a `jabber:client` stanza is in (no `xmlns` attribute → the stanza's). */
const nsOf = (c: Element): string => c.attrs.xmlns ?? NS.client;

/** Reads the storage-relevant facts of a message stanza. */
export function offlineFacts(msg: Element): OfflineFacts {
  const type: OfflineMessageType = messageType(msg.attrs.type);
  const children = msg.getChildren();
  const hint = (name: string) => children.some((c) => c.name === name && nsOf(c) === NS.hints);
  const noStore = hint('no-store');
  const hasChatState = children.some((c) => nsOf(c) === NS_CHATSTATES);
  // A standalone notification holds the chat state and at most a <thread/> (XEP-0085 §5.3),
  // plus what servers and clients add around any message (hints, XEP-0359 ids). A
  // XEP-0334 <store/> hint asks for storage anyway.
  const envelopeOnly = children.every((c) => {
    const ns = nsOf(c);
    return ns === NS_CHATSTATES || ns === NS.hints || ns === NS.sid || (ns === NS.client && c.name === 'thread');
  });
  return { type, noStore, chatStateOnly: hasChatState && envelopeOnly && !hint('store') };
}

/**
 * A copy of `msg` fit for storage: without `<delay/>` elements that claim to come from
 * this server (only the server stamps offline storage, XEP-0203 §3 / XEP-0160 §2).
 */
export function storedCopy(msg: Element, domain: string): Element {
  const copy = msg.clone();
  copy.children = copy.children.filter((c) => typeof c === 'string' || !(c.name === 'delay' && nsOf(c) === NS.delay && c.attrs.from === domain));
  return copy;
}
