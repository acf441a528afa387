// A bound client session (RFC 6120 §7): its full JID, presence state and what
// the session-level XEPs remember about it. The connection behind it is a port.
import type { Jid } from '@parley/jid';
import type { Element } from '@parley/xml';
import type { StreamError } from '@parley/stanza';
import { SlotMap } from '../host/slots';
import { CSI_MAX_HELD, isUrgent } from '../modules/xep-0352-csi/urgency';

/** XEP-0198 counters and the queue of stanzas the client has not acknowledged. */
export interface StreamManagement {
  id: string;
  resumable: boolean;
  /** Seconds a detached session waits for resumption. */
  max: number;
  /** Stanzas received from the client since enabling (the server's h). */
  inbound: number;
  /** Stanzas sent to the client since enabling. */
  outbound: number;
  /** Last h the client acknowledged. */
  acked: number;
  /** Serialized stanzas sent and not yet acknowledged, oldest first. */
  unacked: string[];
  /** Asks the client for an acknowledgement when stanzas are pending. */
  requestAckSoon(session: Session): void;
}

/** What a session needs from its connection. */
export interface SessionTransport {
  /** True while the client is away and the session waits for resumption. */
  readonly hibernating?: boolean;
  /** Writes serialized XML to the client. */
  write(xml: string): void;
  /** Ends the stream, with a stream error when given. */
  close(error?: StreamError): void;
  /** Forgets the session without ending it (it moved to another connection). */
  detach?(): void;
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
  /** Per-module session state: each module keeps its own typed slot (`defineSlot`). */
  readonly state = new SlotMap();
  /** Set once the session has ended. */
  closed = false;
  /** XEP-0198 state, once the client enabled stream management. */
  sm?: StreamManagement;
  private confirmations: Array<{ upTo: number; cb: (delivered: boolean) => void }> = [];

  constructor(
    readonly jid: Jid,
    private transport: SessionTransport,
    readonly mechanism: string,
  ) {
    this.bare = jid.bareString;
    this.full = jid.toString();
  }

  get secure(): boolean {
    return this.transport.secure;
  }

  /** XEP-0352: stanzas held while the client is inactive, oldest first. */
  private held?: string[];

  /** XEP-0352 client state: inactive holds non-urgent stanzas; active sends what was held. */
  setInactive(inactive: boolean): void {
    if (inactive) this.held ??= [];
    else this.flushHeld();
  }

  get inactive(): boolean {
    return this.held !== undefined;
  }

  private flushHeld(): void {
    const held = this.held;
    this.held = undefined;
    if (held) for (const xml of held) this.sendNow(xml);
  }

  /** Sends a stanza (element or already serialized XML) to the client. */
  send(stanza: Element | string): void {
    if (this.closed) return;
    const xml = typeof stanza === 'string' ? stanza : stanza.toString();
    if (this.held) {
      if (!isUrgent(xml) && this.held.length < CSI_MAX_HELD) {
        this.held.push(xml);
        return;
      }
      const held = this.held;
      this.held = [];
      for (const h of held) this.sendNow(h);
    }
    this.sendNow(xml);
  }

  private sendNow(xml: string): void {
    if (this.sm) {
      this.sm.outbound += 1;
      this.sm.unacked.push(xml);
      if (!this.transport.hibernating) {
        this.transport.write(xml);
        this.sm.requestAckSoon(this);
      }
      return;
    }
    this.transport.write(xml);
  }

  /** Writes a non-stanza (XEP-0198 `<r/>`, `<a/>`) to the client, if connected. */
  writeNonza(xml: string): void {
    if (!this.closed && !this.transport.hibernating) this.transport.write(xml);
  }

  /**
   * Calls `cb(true)` once everything sent so far reached the client: at once when
   * written without stream management, on the client's covering `<a h/>` with it;
   * `cb(false)` if the session ends first (the caller then keeps or re-routes it).
   */
  whenDelivered(cb: (delivered: boolean) => void): void {
    // stanzas held for an inactive client (XEP-0352) are not delivered yet: send them now
    if (this.held?.length) {
      const held = this.held;
      this.held = [];
      for (const h of held) this.sendNow(h);
    }
    if (!this.sm) {
      queueMicrotask(() => cb(!this.closed));
      return;
    }
    if (this.sm.acked >= this.sm.outbound) {
      queueMicrotask(() => cb(true));
      return;
    }
    this.confirmations.push({ upTo: this.sm.outbound, cb });
  }

  /** Applies the client's `<a h/>` (XEP-0198 §4): drops acknowledged stanzas, runs confirmations. */
  acknowledge(h: number): boolean {
    const sm = this.sm;
    if (!sm) return true;
    const newly = (h - sm.acked) >>> 0;
    if (newly > sm.unacked.length) return false; // acknowledges stanzas never sent
    sm.unacked.splice(0, newly);
    sm.acked = h >>> 0;
    if (this.confirmations.length) {
      const due = this.confirmations.filter((c) => c.upTo <= sm.acked);
      this.confirmations = this.confirmations.filter((c) => c.upTo > sm.acked);
      for (const c of due) c.cb(true);
    }
    return true;
  }

  /** Fails pending confirmations (the session ended without an acknowledgement). */
  failConfirmations(): void {
    const pending = this.confirmations;
    this.confirmations = [];
    for (const c of pending) c.cb(false);
  }

  /** Moves the session to a new connection (XEP-0198 resumption); returns the previous one. */
  reattach(transport: SessionTransport): SessionTransport {
    const previous = this.transport;
    this.transport = transport;
    return previous;
  }

  /** Ends the session's stream. */
  close(error?: StreamError): void {
    this.transport.close(error);
  }
}
