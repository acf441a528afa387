// A bound client session (RFC 6120 §7): its full JID, presence state and what
// the session-level XEPs remember about it. The connection behind it is a port.
import type { Jid } from '@parley/jid';
import type { Element } from '@parley/xml';
import type { StreamError } from '@parley/stanza';

/** What a session needs from its connection. */
export interface SessionTransport {
  /** Writes serialized XML to the client. */
  write(xml: string): void;
  /** Ends the stream, with a stream error when given. */
  close(error?: StreamError): void;
  readonly secure: boolean;
}

export class Session {
  readonly bare: string;
  readonly full: string;
  /** True after initial presence, false after unavailable (RFC 6121 §4.2). */
  available = false;
  /** Priority of the last available presence (-128..127). */
  priority = 0;
  /** The last available presence broadcast, for probes. */
  presence?: Element;
  /** JIDs that received directed available presence (RFC 6121 §4.6), to tell them of unavailability. */
  readonly directedTo = new Set<string>();
  /** Asked for the roster during this session (RFC 6121 §2.1.6: gets pushes). */
  rosterRequested = false;
  /** XEP-0280 carbons enabled. */
  carbons = false;
  /** Per-module session state, keyed by module name. */
  readonly state = new Map<string, unknown>();
  /** Set once the session has ended. */
  closed = false;

  constructor(
    readonly jid: Jid,
    private readonly transport: SessionTransport,
    readonly mechanism: string,
  ) {
    this.bare = jid.bareString;
    this.full = jid.toString();
  }

  get secure(): boolean {
    return this.transport.secure;
  }

  /** Sends a stanza (element or already serialized XML) to the client. */
  send(stanza: Element | string): void {
    if (this.closed) return;
    this.transport.write(typeof stanza === 'string' ? stanza : stanza.toString());
  }

  /** Ends the session's stream. */
  close(error?: StreamError): void {
    this.transport.close(error);
  }
}
