// Stanza errors (RFC 6120 §8.3) and stream errors (RFC 6120 §4.9), built once here.
import { Element, x } from '@parley/xml';
import { NS } from './ns';

/** RFC 6120 §8.3.2 error types. */
export type StanzaErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

/** RFC 6120 §8.3.3 defined conditions, with the type each usually carries. */
export const STANZA_CONDITIONS: Record<string, StanzaErrorType> = {
  'bad-request': 'modify',
  conflict: 'cancel',
  'feature-not-implemented': 'cancel',
  forbidden: 'auth',
  gone: 'cancel',
  'internal-server-error': 'cancel',
  'item-not-found': 'cancel',
  'jid-malformed': 'modify',
  'not-acceptable': 'modify',
  'not-allowed': 'cancel',
  'not-authorized': 'auth',
  'policy-violation': 'modify',
  'recipient-unavailable': 'wait',
  redirect: 'modify',
  'registration-required': 'auth',
  'remote-server-not-found': 'cancel',
  'remote-server-timeout': 'wait',
  'resource-constraint': 'wait',
  'service-unavailable': 'cancel',
  'subscription-required': 'auth',
  'undefined-condition': 'cancel',
  'unexpected-request': 'wait',
};

/** A stanza error a handler throws on purpose; mapped to `<error/>` once, at the edge. */
export class StanzaError extends Error {
  readonly type: StanzaErrorType;
  constructor(
    readonly condition: string,
    readonly text?: string,
    type?: StanzaErrorType,
    /** An application-specific condition element (e.g. XEP-0191 `<blocked/>`). */
    readonly appCondition?: Element,
  ) {
    super(text ? `${condition}: ${text}` : condition);
    this.name = 'StanzaError';
    this.type = type ?? STANZA_CONDITIONS[condition] ?? 'cancel';
    if (!(condition in STANZA_CONDITIONS)) {
      this.condition = 'undefined-condition';
    }
  }
  static badRequest = (text?: string) => new StanzaError('bad-request', text);
  static notAllowed = (text?: string) => new StanzaError('not-allowed', text);
  static forbidden = (text?: string) => new StanzaError('forbidden', text);
  static itemNotFound = (text?: string) => new StanzaError('item-not-found', text);
  static serviceUnavailable = (text?: string) => new StanzaError('service-unavailable', text);
  static internal = (text?: string) => new StanzaError('internal-server-error', text);
  static jidMalformed = (text?: string) => new StanzaError('jid-malformed', text);
  static notAcceptable = (text?: string) => new StanzaError('not-acceptable', text);
  static resourceConstraint = (text?: string) => new StanzaError('resource-constraint', text);
  static featureNotImplemented = (text?: string) => new StanzaError('feature-not-implemented', text);

  /** The `<error/>` child element. `by` is the entity that generated it. */
  toElement(by?: string): Element {
    return x(
      'error',
      { type: this.type, by },
      x(this.condition, { xmlns: NS.stanzas }),
      this.text ? x('text', { xmlns: NS.stanzas, 'xml:lang': 'en' }, this.text) : undefined,
      this.appCondition,
    );
  }
}

/**
 * The error reply to `stanza` (RFC 6120 §8.3.1): same name and id, from/to
 * swapped, type='error', the original payload included for messages and presence.
 */
export function errorReply(stanza: Element, err: StanzaError, opts: { from?: string; includePayload?: boolean } = {}): Element {
  const reply = new Element(stanza.name, {
    type: 'error',
    id: stanza.attrs.id,
    to: stanza.attrs.from,
    from: opts.from ?? stanza.attrs.to,
  });
  if (opts.includePayload ?? stanza.name !== 'iq') {
    for (const c of stanza.children) if (typeof c !== 'string' && c.name !== 'error') reply.append(c);
  } else if (stanza.name === 'iq') {
    const payload = stanza.children.find((c): c is Element => typeof c !== 'string');
    if (payload) reply.append(payload);
  }
  reply.append(err.toElement());
  return reply;
}

/** RFC 6120 §4.9.3 stream error conditions. */
export type StreamErrorCondition =
  | 'bad-format'
  | 'bad-namespace-prefix'
  | 'conflict'
  | 'connection-timeout'
  | 'host-gone'
  | 'host-unknown'
  | 'improper-addressing'
  | 'internal-server-error'
  | 'invalid-from'
  | 'invalid-namespace'
  | 'invalid-xml'
  | 'not-authorized'
  | 'not-well-formed'
  | 'policy-violation'
  | 'remote-connection-failed'
  | 'reset'
  | 'resource-constraint'
  | 'restricted-xml'
  | 'see-other-host'
  | 'system-shutdown'
  | 'undefined-condition'
  | 'unsupported-encoding'
  | 'unsupported-feature'
  | 'unsupported-stanza-type'
  | 'unsupported-version';

/** A condition that ends the stream. */
export class StreamError extends Error {
  constructor(
    readonly condition: StreamErrorCondition,
    readonly text?: string,
    /** An application-specific condition (e.g. XEP-0198 `<handled-count-too-high/>`). */
    readonly appCondition?: Element,
    /** Character data of the condition element: the new address of `see-other-host` (RFC 6120 §4.9.3.19). */
    readonly conditionData?: string,
  ) {
    super(text ? `${condition}: ${text}` : condition);
    this.name = 'StreamError';
  }
  /** Serialized `<stream:error>` (the stream's prefix is `stream`). */
  toXml(): string {
    const text = this.text ? x('text', { xmlns: NS.streams, 'xml:lang': 'en' }, this.text).toString() : '';
    const condition = this.conditionData ? x(this.condition, { xmlns: NS.streams }, this.conditionData).toString() : `<${this.condition} xmlns='${NS.streams}'/>`;
    return `<stream:error>${condition}${text}${this.appCondition ? this.appCondition.toString() : ''}</stream:error>`;
  }
}

/** A `<iq type='result'>` answering `iq`, with an optional payload. */
export function iqResult(iq: Element, payload?: Element, from?: string): Element {
  return x('iq', { type: 'result', id: iq.attrs.id, to: iq.attrs.from, from: from ?? iq.attrs.to }, payload);
}
