// RFC 6121 §4: presence. Initial, subsequent and unavailable presence update the
// session and are broadcast to the user's own resources and to whatever the
// roster module contributes (subscribers); directed presence is remembered so
// its recipients learn of unavailability; a dropped session goes unavailable.
import { Element } from '@parley/xml';
import type { GatewayCore } from '../../gateway-core';
import type { Session } from '../../session/session';
import type { GatewayModule } from '..';

/** Extension points other modules (roster) fill in. */
export interface PresenceExtensions {
  /** Extra JIDs (bare or full) that receive a user's broadcast presence (RFC 6121 §4.2.2: subscribers). */
  broadcastTargets: Array<(session: Session) => Promise<string[]> | string[]>;
  /** Runs after a session's initial presence (probes, pending subscriptions, offline messages). */
  afterInitial: Array<(session: Session) => Promise<void> | void>;
}

/** The presence extension points of a gateway. */
export const presenceExtensions = new WeakMap<GatewayCore, PresenceExtensions>();

/** Reads `<priority/>` (RFC 6121 §4.7.2.3): an integer in -128..127, default 0. */
export function presencePriority(p: Element): number {
  const raw = p.getChildText('priority');
  const n = raw === undefined ? 0 : Number.parseInt(raw, 10);
  return Number.isFinite(n) ? Math.max(-128, Math.min(127, n)) : 0;
}

async function broadcast(gw: GatewayCore, ext: PresenceExtensions, session: Session, p: Element, includeSelf: boolean): Promise<void> {
  // the user's own available resources
  for (const st of gw.directory.resources(session.bare)) {
    if (!st.available && st.session !== session) continue;
    if (st.session === session && !includeSelf) continue;
    const copy = p.clone();
    copy.attrs.to = `${session.bare}/${st.resource}`;
    gw.router.deliverTo(session.bare, st, copy);
  }
  const seen = new Set<string>();
  for (const t of ext.broadcastTargets) {
    for (const jid of await t(session)) {
      if (seen.has(jid)) continue;
      seen.add(jid);
      const copy = p.clone();
      copy.attrs.to = jid;
      await gw.router.route(copy);
    }
  }
}

export const presenceModule: GatewayModule = {
  name: 'rfc6121-presence',
  init(gw) {
    const ext: PresenceExtensions = { broadcastTargets: [], afterInitial: [] };
    presenceExtensions.set(gw, ext);

    gw.hooks.outboundPresence.push(async (session, p, to) => {
      const type = p.attrs.type;
      if (to) {
        // directed presence (RFC 6121 §4.6): remember who saw us available
        if (!type) session.directedTo.add(to.jid.toString());
        else if (type === 'unavailable') session.directedTo.delete(to.jid.toString());
        return false;
      }
      if (type && type !== 'unavailable') return true; // probes/subscriptions need a 'to'; errors to nobody are dropped
      if (!type) {
        const initial = !session.available;
        session.available = true;
        session.priority = presencePriority(p);
        session.presence = p;
        gw.sessions.update(session);
        await broadcast(gw, ext, session, p, true);
        if (initial) for (const a of ext.afterInitial) await a(session);
        return true;
      }
      await goUnavailable(gw, ext, session, p);
      return true;
    });

    gw.hooks.sessionClosed.push(async (session) => {
      if (!session.available && session.directedTo.size === 0) return;
      const p = new Element('presence', { type: 'unavailable', from: session.full });
      await goUnavailable(gw, ext, session, p);
    });
  },
};

async function goUnavailable(gw: GatewayCore, ext: PresenceExtensions, session: Session, p: Element): Promise<void> {
  const wasAvailable = session.available;
  session.available = false;
  session.presence = undefined;
  if (!session.closed) gw.sessions.update(session);
  if (wasAvailable) await broadcast(gw, ext, session, p, false);
  for (const jid of session.directedTo) {
    const copy = p.clone();
    copy.attrs.to = jid;
    await gw.router.route(copy);
  }
  session.directedTo.clear();
}
