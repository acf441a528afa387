// XmlError: the one error type the XML layer throws or reports; its condition
// names the RFC 6120 §4.9.3 stream error the gateway should send for it.

/** The stream error conditions the XML layer can produce (RFC 6120 §4.9.3). */
export type XmlErrorCondition =
  | 'not-well-formed'
  | 'restricted-xml'
  | 'policy-violation'
  | 'invalid-namespace'
  | 'bad-namespace-prefix'
  | 'unsupported-encoding';

/** A parse failure; `condition` maps one-to-one onto a stream error condition. */
export class XmlError extends Error {
  /** The RFC 6120 stream error condition to report to the peer. */
  readonly condition: XmlErrorCondition;

  constructor(condition: XmlErrorCondition, message?: string) {
    super(message ? `${condition}: ${message}` : condition);
    this.name = 'XmlError';
    this.condition = condition;
  }
}
