// RFC 6121 §4: presence. Initial, subsequent and unavailable presence update the
// session and are broadcast to the user's own resources and to whatever other
// modules add (the roster's subscribers); directed presence is remembered so its
// recipients learn of unavailability; a dropped session goes unavailable.
import { opt } from '@parley/config';
import { errorReply, StanzaError } from '@parley/stanza';
import { Element } from '@parley/xml';
import { CoreHooks, defineModule, defineSlot, ModuleContext, Session } from '../../host';
import { PRESENCE, PresenceApi, PresenceHooks, presencePriority } from './api';

/** Per session: JIDs that received directed available presence (RFC 6121 §4.6). */
const DIRECTED = defineSlot<Set<string>>('rfc6121-presence/directed');
const directed = (s: Session) => s.state.ensure(DIRECTED, () => new Set<string>());

/** Hook priorities: presence handles broadcast presence after offline looked at it, before blocking and roster see directed presence. */
export const PRESENCE_PRIORITY = 50;

async function broadcast(ctx: ModuleContext, session: Session, p: Element, includeSelf: boolean): Promise<void> {
  // the user's own available resources
  for (const st of ctx.directory.resources(session.bare)) {
    if (!st.available && st.session !== session) continue;
    if (st.session === session && !includeSelf) continue;
    const copy = p.clone();
    copy.attrs.to = `${session.bare}/${st.resource}`;
    ctx.router.deliverTo(session.bare, st, copy);
  }
  const ev = { session, targets: [] as string[] };
  await ctx.fire.serial(PresenceHooks.broadcastTargets, ev);
  const seen = new Set<string>();
  for (const jid of ev.targets) {
    if (seen.has(jid)) continue;
    seen.add(jid);
    const copy = p.clone();
    copy.attrs.to = jid;
    await ctx.router.route(copy);
  }
}

async function goUnavailable(ctx: ModuleContext, session: Session, p: Element): Promise<void> {
  const wasAvailable = session.available;
  session.available = false;
  session.presence = undefined;
  if (!session.closed) ctx.sessions.update(session);
  if (wasAvailable) await broadcast(ctx, session, p, false);
  const to = session.state.get(DIRECTED);
  if (!to) return;
  for (const jid of to) {
    const copy = p.clone();
    copy.attrs.to = jid;
    await ctx.router.route(copy);
  }
  to.clear();
}

const OPTIONS = {
  PRESENCE_MAX_DIRECTED: opt.int({
    doc: 'Distinct addresses one session may send directed available presence to (RFC 6121 §4.6; each is remembered to be told of unavailability). Past it, directed presence to a new address is answered `<resource-constraint/>`.',
    default: 1000,
    min: 1,
    max: 1_000_000,
  }),
};

export const presenceModule = defineModule<PresenceApi, typeof OPTIONS>({
  name: 'rfc6121-presence',
  provides: PRESENCE,
  options: OPTIONS,
  init(ctx) {
    const maxDirected = ctx.options.PRESENCE_MAX_DIRECTED;
    ctx.hook(
      CoreHooks.outboundPresence,
      async ({ session, stanza: p, to }) => {
        const type = p.attrs.type;
        if (to) {
          // directed presence (RFC 6121 §4.6): remember who saw us available
          if (!type) {
            const set = directed(session);
            const jid = to.jid.toString();
            if (!set.has(jid) && set.size >= maxDirected) {
              const err = errorReply(p, new StanzaError('resource-constraint', 'too many addresses hold your directed presence', 'wait'), { from: jid });
              err.attrs.to = session.full;
              session.send(err);
              return true;
            }
            set.add(jid);
          }
          else if (type === 'unavailable') session.state.get(DIRECTED)?.delete(to.jid.toString());
          return false;
        }
        if (type && type !== 'unavailable') return true; // probes/subscriptions need a 'to'; errors to nobody are dropped
        if (!type) {
          const initial = !session.available;
          session.available = true;
          session.priority = presencePriority(p);
          session.presence = p;
          ctx.sessions.update(session);
          await broadcast(ctx, session, p, true);
          if (initial) await ctx.fire.serial(PresenceHooks.afterInitial, { session });
          return true;
        }
        await goUnavailable(ctx, session, p);
        return true;
      },
      PRESENCE_PRIORITY,
    );

    // XEP-0198 resumption on another gateway: who got directed presence moves along
    ctx.hook(CoreHooks.sessionExport, ({ session, state }) => {
      state['rfc6121-presence'] = { directed: [...(session.state.get(DIRECTED) ?? [])] };
    });
    ctx.hook(CoreHooks.sessionImport, ({ session, state }) => {
      const moved = state['rfc6121-presence'] as { directed?: unknown } | undefined;
      const jids = Array.isArray(moved?.directed) ? moved.directed.filter((j): j is string => typeof j === 'string') : [];
      if (jids.length) session.state.set(DIRECTED, new Set(jids));
    });

    ctx.hook(
      CoreHooks.sessionClosed,
      async ({ session }) => {
        if (!session.available && !session.state.get(DIRECTED)?.size) return;
        const p = new Element('presence', { type: 'unavailable', from: session.full });
        await goUnavailable(ctx, session, p);
      },
      PRESENCE_PRIORITY,
    );

    return {
      directedTo: (s) => s.state.get(DIRECTED) ?? new Set<string>(),
      forgetDirected: (s, jid) => s.state.get(DIRECTED)?.delete(jid) ?? false,
    };
  },
});
