// A bound client session (RFC 6120 §7): its full JID and presence state; modules
// keep their own state in typed slots and may add output stages (XEP-0352,
// XEP-0198). The connection behind it is a port.
import type { Jid } from '@parley/jid';
import type { Element } from '@parley/xml';
import type { StreamError } from '@parley/stanza';
import { SlotMap } from '../host/slots';

/**
 * A stage of a session's output, installed by a module: XEP-0352 holds stanzas of an
 * inactive client, XEP-0198 counts and keeps what was sent until acknowledged.
 * Stages run from the highest priority (outermost) to the transport.
 */
export interface OutputStage {
  /** Passes `xml` on with `next`, now or later (or keeps it, like a hibernating stream). */
  send(xml: string, next: (xml: string) => void): void;
  /** Passes on everything held (delivery confirmation and `flushOutput` ask). */
  flush?(next: (xml: string) => void): void;
  /**
   * Takes over delivery confirmation (see `Session.whenDelivered`): returns true when
   * this stage will call `cb`; false to leave it to the next stage or the default.
   */
  whenDelivered?(cb: (delivered: boolean) => void): boolean;
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
  /** Drops the connection without a closing handshake and without ending the session (the client reconnects and resumes it). */
  drop?(): void;
  readonly secure: boolean;
  /** The client's address (as the listener computed it; in memory only, for the throttles). */
  readonly address?: string;
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
  private stages: Array<{ stage: OutputStage; priority: number }> = [];
  /** The output chain: stages (outermost first), then the transport. */
  private out: (xml: string) => void = (xml) => this.transport.write(xml);

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

  /** The client's address, for the in-memory throttles ('unknown' when the transport has none). */
  get address(): string {
    return this.transport.address ?? 'unknown';
  }

  /** Adds an output stage (a module's, for this session). */
  addOutputStage(stage: OutputStage, priority: number): void {
    this.stages.push({ stage, priority });
    this.stages.sort((a, b) => b.priority - a.priority);
    this.out = this.chain(0);
  }

  /** The output from stage `i` on. */
  private chain(i: number): (xml: string) => void {
    if (i >= this.stages.length) return (xml) => this.transport.write(xml);
    const { stage } = this.stages[i];
    const next = this.chain(i + 1);
    return (xml) => stage.send(xml, next);
  }

  /** Sends a stanza (element or already serialized XML) to the client. */
  send(stanza: Element | string): void {
    if (this.closed) return;
    this.out(typeof stanza === 'string' ? stanza : stanza.toString());
  }

  /** Asks every output stage to pass on what it holds (e.g. the client became active). */
  flushOutput(): void {
    for (let i = 0; i < this.stages.length; i++) this.stages[i].stage.flush?.(this.chain(i + 1));
  }

  /** Writes a non-stanza (XEP-0198 `<r/>`, `<a/>`) to the client, if connected. */
  writeNonza(xml: string): void {
    if (!this.closed && !this.transport.hibernating) this.transport.write(xml);
  }

  /**
   * Calls `cb(true)` once everything sent so far reached the client: at once when
   * written without stream management, on the client's covering `<a h/>` with it;
   * `cb(false)` if the session ends first (the caller then keeps or re-routes it).
   * Held stanzas (XEP-0352) are sent first: they are not delivered yet.
   */
  whenDelivered(cb: (delivered: boolean) => void): void {
    this.flushOutput();
    for (const { stage } of this.stages) if (stage.whenDelivered?.(cb)) return;
    queueMicrotask(() => cb(!this.closed));
  }

  /**
   * Work a stanza of this session started and its stream does not wait for (an offline
   * hand-off awaiting its JetStream ack): the stream goes on with the client's next
   * messages meanwhile, but handles nothing else — no IQ, no presence, no XEP-0198
   * `<r/>` — and no resumption reports a count, until it settled ({@link settled}).
   */
  continueWhile(work: Promise<unknown>): void {
    const done = work.then(
      () => undefined,
      () => undefined,
    );
    this.unsettled.add(done);
    void done.then(() => this.unsettled.delete(done));
  }

  /** Work handed to {@link continueWhile} and not settled yet. */
  get unsettledWork(): number {
    return this.unsettled.size;
  }

  /** Resolves once everything handed to {@link continueWhile} so far has settled. */
  settled(): Promise<void> {
    return this.unsettled.size === 0 ? Promise.resolve() : Promise.all([...this.unsettled]).then(() => undefined);
  }

  private readonly unsettled = new Set<Promise<void>>();

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
