// The router side of the archive (XEP-0313 §3.5 and §5.1.1): for each local party of
// a message who opted in and whose preferences allow the peer, a fresh XEP-0359
// stanza-id and one `archive.cmd.store` command. The recipient's id goes on the
// delivered stanza; the sender's only on its sent carbons. Users who did not opt in
// cost a map lookup and nothing on the bus.
import { randomUUID } from 'node:crypto';
import { ArchiveStoreV1, ArchiveSubjects, envelope, jidToken } from '@parley/contracts';
import type { Element } from '@parley/xml';
import { stanzaId, stripStanzaIds, withoutStanzaIds } from '@parley/xep';
import type { Logger } from 'pino';
import { defineSlot, Destination, ModuleBus, Session, SlotMap } from '../../host';
import { SENDER_ARCHIVE_ID } from './api';
import { bareOf } from '@parley/jid';
import { archivableType, hasStanzaIdBy } from './messages';
import type { ArchivePrefsProjection } from './prefs-projection';

/** What the archiver needs. */
export interface ArchiverDeps {
  projection: ArchivePrefsProjection;
  /** Whether a peer is in a user's roster (for `default='roster'`). */
  inRoster(user: string, peerBare: string): boolean | Promise<boolean>;
  /** Hands a store command to the bus (not awaited). */
  publish(cmd: ArchiveStoreV1): void;
  /** Whether another domain has a route (a component, federation); messages to unreachable domains bounce and are not archived. Default: none has. */
  reachable?(domain: string): boolean;
  now?: () => Date;
  newId?: () => string;
}

/** What the inbound side did to a message, for the sending side of the same routing. */
interface RecipientMark {
  owner: string;
  sid: string;
  toSelf: boolean;
}

/** In a routed stanza's data: the inbound side archived it for this recipient. */
const RECIPIENT_MARK = defineSlot<RecipientMark>('xep-0313-mam/recipient-mark');

export class Archiver {
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(private readonly d: ArchiverDeps) {
    this.now = d.now ?? (() => new Date());
    this.newId = d.newId ?? randomUUID;
  }

  /**
   * Inbound hook, before delivery to a local account: drops stanza-ids forged in the
   * recipient's name, then archives for the recipient when it opted in (adding its
   * stanza-id). A message routed by the server itself (re-routed after a lost stream,
   * redelivered from offline storage) that already carries the recipient's id was
   * archived when it first arrived: it keeps that id and is not archived again.
   * `fromClient`: a client session sent it (its stanza-ids are not trusted).
   */
  inbound(stanza: Element, to: Destination, fromClient: boolean, data: SlotMap): boolean | Promise<boolean> {
    if (stanza.name !== 'message') return false;
    const owner = to.jid.bareString;
    if (hasStanzaIdBy(stanza, owner)) {
      if (!fromClient) return false;
      stripStanzaIds(stanza, owner); // XEP-0359 business rules: ids "by" the owner are ours to assign
    }
    const match = this.d.projection.matcher(owner);
    if (!match) return false;
    const type = archivableType(stanza);
    const from = stanza.attrs.from;
    if (!type || !from) return false;
    const fromBare = bareOf(from);
    const toSelf = fromBare === owner;
    const verdict = match(toSelf ? (stanza.attrs.to ?? owner) : from);
    if (verdict === 'never') return false;
    // Notes to oneself count as in the roster: the user is their own contact.
    const inRoster = verdict === 'always' ? false : toSelf ? true : this.d.inRoster(owner, fromBare);
    if (typeof inRoster === 'boolean') {
      if (verdict === 'always' || inRoster) this.archiveInbound(stanza, data, owner, type, toSelf, from, fromBare, inRoster);
      return false;
    }
    return inRoster.then((yes) => {
      if (yes) this.archiveInbound(stanza, data, owner, type, toSelf, from, fromBare, true);
      return false;
    });
  }

  private archiveInbound(stanza: Element, data: SlotMap, owner: string, type: 'chat' | 'normal', toSelf: boolean, from: string, fromBare: string, inRoster: boolean): void {
    const sid = this.newId();
    const xml = stanza.toString(); // as received, before the id is added
    stanza.append(stanzaId.toElement({ id: sid, by: owner }));
    data.set(RECIPIENT_MARK, { owner, sid, toSelf });
    this.d.publish({
      owner,
      with: toSelf ? owner : fromBare,
      direction: toSelf ? 'out' : 'in',
      stanzaId: sid,
      timestamp: this.now().toISOString(),
      stanza: xml,
      type,
      hasBody: true,
      inRoster,
      fromFullJid: from,
      toJid: stanza.attrs.to,
    });
  }

  /**
   * messageSent hook, after routing a client's message: archives the sender's copy when
   * the sender opted in, and records its id for sent carbons. A message to oneself was
   * archived once, on the inbound side, and shares that id.
   */
  sent(session: Session, stanza: Element, dest: Destination, data: SlotMap): void {
    const owner = session.bare;
    const mark = data.get(RECIPIENT_MARK);
    if (mark?.owner === owner) {
      if (mark.toSelf) data.set(SENDER_ARCHIVE_ID, mark.sid);
      return;
    }
    if (dest.local ? !dest.jid.local : !this.d.reachable?.(dest.jid.domain)) return; // to this server, or to a domain with no route (it bounced)
    const peerBare = dest.jid.bareString;
    if (peerBare === owner) return; // to oneself and not archived on the inbound side
    const match = this.d.projection.matcher(owner);
    if (!match) return;
    const type = archivableType(stanza);
    const toAttr = stanza.attrs.to;
    if (!type || !toAttr) return;
    const verdict = match(toAttr);
    if (verdict === 'never') return;
    const archive = (inRoster: boolean): string => {
      const sid = this.newId();
      this.d.publish({
        owner,
        with: peerBare,
        direction: 'out',
        stanzaId: sid,
        timestamp: this.now().toISOString(),
        // as sent: neither the recipient's archive id nor ids forged in the sender's name
        stanza: withoutStanzaIds(stanza, [owner, peerBare]).toString(),
        type,
        hasBody: true,
        inRoster,
        fromFullJid: session.full,
        toJid: toAttr,
      });
      return sid;
    };
    if (verdict === 'always') {
      data.set(SENDER_ARCHIVE_ID, archive(false));
      return;
    }
    const inRoster = this.d.inRoster(owner, peerBare);
    if (typeof inRoster === 'boolean') {
      if (inRoster) data.set(SENDER_ARCHIVE_ID, archive(true));
      return;
    }
    data.set(
      SENDER_ARCHIVE_ID,
      inRoster.then((yes) => (yes ? archive(true) : undefined)),
    );
  }
}

/**
 * Publishes store commands to JetStream without waiting for each ack (the hot path
 * never awaits the bus): acks settle in the background, failures are counted and
 * logged at most every few seconds (the message is then not archived).
 */
export class StorePublisher {
  private inflight = 0;
  private failures = 0;
  private lastReport = 0;
  private drained: Array<() => void> = [];

  constructor(
    private readonly bus: ModuleBus,
    private readonly log: Logger,
    private readonly reportEveryMs = 10_000,
  ) {}

  publish(cmd: ArchiveStoreV1): void {
    // The id lets JetStream drop a re-published duplicate (ArchiveSubjects.store).
    const e = envelope(ArchiveSubjects.store, cmd, { id: `${jidToken(cmd.owner)}.${cmd.stanzaId}`, occurredAt: new Date(cmd.timestamp) });
    this.inflight += 1;
    this.bus.publishEvent(e, ArchiveSubjects.store).then(
      () => this.settled(),
      (err) => {
        this.failures += 1;
        const now = Date.now();
        if (now - this.lastReport >= this.reportEveryMs) {
          this.log.warn({ err, failures: this.failures }, 'archive store commands not acknowledged by JetStream; those messages are not archived');
          this.failures = 0;
          this.lastReport = now;
        }
        this.settled();
      },
    );
  }

  /** Commands published and not yet acknowledged. */
  get pending(): number {
    return this.inflight;
  }

  /** Resolves once every published command is acknowledged or failed. */
  drain(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private settled(): void {
    this.inflight -= 1;
    if (this.inflight === 0 && this.drained.length) {
      const waiting = this.drained;
      this.drained = [];
      for (const w of waiting) w();
    }
  }
}
