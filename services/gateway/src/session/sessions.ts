// Binding and unbinding sessions (RFC 6120 §7): resource choice, conflicts across
// instances, the directory, peers' view, and session events on JetStream.
import { randomToken } from '../host/random-token';
import { envelope, GatewayEvents, KickReason, SessionChangeV1, SessionsChangedV1 } from '@parley/contracts';
import { JidError, makeJid, parseJid } from '@parley/jid';
import type { Element } from '@parley/xml';
import { StanzaError, StreamError } from '@parley/stanza';
import type { Logger } from 'pino';
import { CoreHooks } from '../host/core-hooks';
import type { Hooks } from '../host/hooks';
import type { ModuleBus } from '../host/module';
import { Directory, ResourceState } from './directory';
import { Session, SessionTransport } from './session';

/** What binding needs of the cluster (routing/cluster.ts; a fake in tests). */
export interface ClusterPort {
  readonly instanceId: string;
  announceUp(bare: string, st: ResourceState): void;
  announceDown(bare: string, resource: string): void;
  kickRemote(instanceId: string, full: string, reason: KickReason): void;
  /** False when the stanza is too large for the bus (nothing was sent). */
  deliverRemote(instanceId: string, targets: string[], xml: string): boolean;
}

/** The stream error a session ended from elsewhere gets. */
export function kickError(reason: KickReason): StreamError {
  if (reason === 'conflict') return new StreamError('conflict', 'replaced by a new connection with the same resource');
  if (reason === 'ended') return new StreamError('policy-violation', 'session ended by an administrator');
  return new StreamError('not-authorized', 'account removed');
}

/** A batch of session events goes out when it holds this many, whatever the window. */
export const SESSION_EVENTS_MAX_BATCH = 500;

export class Sessions {
  /** Session events not yet published, in order; see {@link SessionsChangedV1}. */
  private changes: SessionChangeV1[] = [];
  private changesTimer?: NodeJS.Timeout;

  constructor(
    private readonly domain: string,
    private readonly directory: Directory,
    private readonly cluster: ClusterPort,
    private readonly hooks: Hooks,
    private readonly bus: Pick<ModuleBus, 'publishEvent'>,
    private readonly log: Logger,
    /** How long session events wait to be published together (ms); 0 publishes each at once. */
    private readonly eventsWindowMs = 250,
  ) {}

  /** Resolves once the work the user's sessions on this instance left unsettled has settled (Session.continueWhile). */
  settled(username: string): Promise<void> {
    const sessions = this.directory.resources(`${username}@${this.domain}`).flatMap((r) => (r.session && r.session.unsettledWork > 0 ? [r.session] : []));
    return sessions.length === 0 ? Promise.resolve() : Promise.all(sessions.map((s) => s.settled())).then(() => undefined);
  }

  /** Binds a resource for an authenticated user; a session holding it elsewhere gets <conflict/>. */
  bind(username: string, requested: string | undefined, transport: SessionTransport, mechanism: string): Session {
    let jid;
    try {
      jid = makeJid(username, this.domain, requested?.trim() || `parley-${randomToken(6, 'hex')}`);
    } catch (e) {
      if (e instanceof JidError) throw new StanzaError('bad-request', 'the resource is not valid');
      throw e;
    }
    const bare = jid.bareString;
    const existing = this.directory.resource(bare, jid.resource);
    if (existing) {
      // RFC 6120 §7.7.2.2: the new session wins; the old one is told <conflict/>.
      if (existing.session) {
        this.unbind(existing.session, 'conflict');
        existing.session.close(new StreamError('conflict', 'replaced by a new connection with the same resource'));
      } else {
        this.cluster.kickRemote(existing.instanceId, `${bare}/${jid.resource}`, 'conflict');
        this.directory.remove(bare, jid.resource, existing.instanceId);
      }
    }
    const session = new Session(jid, transport, mechanism);
    const st: ResourceState = { resource: jid.resource, instanceId: this.cluster.instanceId, priority: 0, available: false, carbons: false, session };
    this.directory.put(bare, st);
    this.cluster.announceUp(bare, st);
    this.record({ jid: session.full, kind: 'opened', at: new Date().toISOString(), mechanism });
    this.hooks.each(CoreHooks.sessionBound, { session, reason: 'bound' });
    return session;
  }

  /**
   * Hands a session to another instance (XEP-0198 resumption there): its modules' state
   * is exported, then it leaves this instance quietly — no unavailable presence, no
   * re-routing of what it holds: it goes on over there. Its session event is `closed`
   * with reason `moved` (this instance's count of open sessions drops; not a logout).
   */
  moveOut(session: Session): Record<string, unknown> {
    const state: Record<string, unknown> = {};
    this.hooks.each(CoreHooks.sessionExport, { session, state });
    session.closed = true;
    if (this.directory.remove(session.bare, session.jid.resource, this.cluster.instanceId, session)) this.cluster.announceDown(session.bare, session.jid.resource);
    this.hooks.each(CoreHooks.sessionMoved, { session, reason: 'moved' });
    this.record({ jid: session.full, kind: 'closed', at: new Date().toISOString(), reason: 'moved' });
    return state;
  }

  /**
   * Takes over a session another instance handed over: bound here with the same full JID,
   * presence and carbons, its modules' state imported. No presence broadcast (its
   * contacts still see it as it was); its session event is `opened` with reason `moved`,
   * so the session is counted on this instance from now on (the one that handed it
   * over recorded it `closed`, `moved`).
   */
  adopt(full: string, transport: SessionTransport, mechanism: string, core: { available: boolean; priority: number; presence?: Element; carbons: boolean }, modules: Record<string, unknown>): Session {
    const jid = parseJid(full);
    const bare = jid.bareString;
    const existing = this.directory.resource(bare, jid.resource);
    if (existing?.session) {
      this.unbind(existing.session, 'conflict');
      existing.session.close(new StreamError('conflict', 'replaced by a new connection with the same resource'));
    }
    const session = new Session(jid, transport, mechanism);
    session.available = core.available;
    session.priority = core.priority;
    session.presence = core.presence;
    const st: ResourceState = { resource: jid.resource, instanceId: this.cluster.instanceId, priority: core.priority, available: core.available, carbons: core.carbons, session };
    this.directory.put(bare, st);
    this.cluster.announceUp(bare, st);
    this.hooks.each(CoreHooks.sessionBound, { session, reason: 'resumed' });
    this.hooks.each(CoreHooks.sessionImport, { session, state: modules });
    this.record({ jid: full, kind: 'opened', at: new Date().toISOString(), mechanism, reason: 'moved' });
    return session;
  }

  /** Updates what peers know of a local session (presence, priority; carbons when given). */
  update(session: Session, change: { carbons?: boolean } = {}): void {
    const st = this.directory.resource(session.bare, session.jid.resource);
    if (!st || st.session !== session) return;
    st.available = session.available;
    st.priority = session.priority;
    if (change.carbons !== undefined) st.carbons = change.carbons;
    this.cluster.announceUp(session.bare, st);
  }

  /** Removes a session; runs close hooks (unavailable presence on its behalf) once. */
  unbind(session: Session, reason: string): void {
    if (session.closed) return;
    this.hooks.each(CoreHooks.sessionClosed, { session, reason });
    session.closed = true;
    if (this.directory.remove(session.bare, session.jid.resource, this.cluster.instanceId, session)) {
      this.cluster.announceDown(session.bare, session.jid.resource);
    }
    this.hooks.each(CoreHooks.sessionEnded, { session, reason });
    this.record({ jid: session.full, kind: 'closed', at: new Date().toISOString(), reason });
  }

  /** Ends every session of a user, here and on other instances (account removed, or ended by an admin). */
  endUser(bare: string, reason: 'removed' | 'ended'): void {
    this.closeAllLocal(bare, kickError(reason));
    for (const st of this.directory.resources(bare)) if (!st.session) this.cluster.kickRemote(st.instanceId, `${bare}/${st.resource}`, reason);
  }

  /** Ends one session of a user wherever it is; false when there is none. */
  endSession(bare: string, resource: string, reason: 'removed' | 'ended'): boolean {
    const st = this.directory.resource(bare, resource);
    if (!st) return false;
    if (st.session) {
      this.unbind(st.session, reason);
      st.session.close(kickError(reason));
    } else this.cluster.kickRemote(st.instanceId, `${bare}/${resource}`, reason);
    return true;
  }

  /** Ends every local session of a user (account removed). */
  closeAllLocal(bare: string, error: StreamError): void {
    for (const st of this.directory.resources(bare)) {
      if (st.session) {
        this.unbind(st.session, 'removed');
        st.session.close(error);
      }
    }
  }

  /**
   * Publishes the session events recorded so far as one event (also at shutdown, after
   * the last session ended). Resolves once JetStream acknowledged it; a failure is
   * logged, not thrown: session events never hold up logins.
   */
  flushEvents(): Promise<void> {
    if (this.changesTimer) clearTimeout(this.changesTimer);
    this.changesTimer = undefined;
    if (this.changes.length === 0) return Promise.resolve();
    const data: SessionsChangedV1 = { instanceId: this.cluster.instanceId, changes: this.changes };
    this.changes = [];
    return this.bus.publishEvent(envelope(GatewayEvents.sessionsChanged, data)).catch((e) => this.log.warn({ err: e, sessions: data.changes.length }, 'session events not acknowledged'));
  }

  /** Queues a session event: published with the others of its window, or at once when the batch is full. */
  private record(change: SessionChangeV1): void {
    this.changes.push(change);
    if (this.changes.length >= SESSION_EVENTS_MAX_BATCH || this.eventsWindowMs === 0) void this.flushEvents();
    else this.changesTimer ??= setTimeout(() => void this.flushEvents(), this.eventsWindowMs);
  }
}
