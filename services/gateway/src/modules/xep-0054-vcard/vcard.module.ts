// XEP-0054 vcard-temp (set one's own, get anyone's), XEP-0153 (the server stamps the
// current avatar hash on the user's broadcast presence) and XEP-0398 (the profile
// service converts between the vCard PHOTO and the XEP-0084 avatar; this gateway
// learns new hashes from vCard sets and avatar-metadata notifications).
import {
  AvatarHashQuery,
  AvatarHashResult,
  PepNotificationV1,
  ProfileEvents,
  ProfileSubjects,
  SetVCardCommand,
  SetVCardResult,
  VCardQuery,
  VCardResult,
} from '@parley/contracts';
import { StanzaError } from '@parley/stanza';
import { avatarMetadataInfo, NS_AVATAR_METADATA, NS_PEP_VCARD_CONVERSION, NS_VCARD, NS_VCARD_UPDATE } from '@parley/xep';
import { Element, parseXml, x } from '@parley/xml';
import { CoreHooks, defineModule, ModuleContext, serviceError, Session } from '../../host';

/** How long a presence waits for the avatar hash before going out as the client sent it. */
const HASH_TIMEOUT_MS = 1000;

/** Before the PEP module (60) and the presence module (50): the stamped presence is what they see. */
const VCARD_PRIORITY = 70;

async function ask<T>(ctx: ModuleContext, subject: string, data: object): Promise<T> {
  try {
    return await ctx.bus.request<T>(subject, data);
  } catch (e) {
    throw serviceError(e, 'profile service');
  }
}

export const vcardModule = defineModule({
  name: 'xep-0054-vcard',
  init(ctx) {
    /** Avatar hash per user with sessions here: '' none, undefined never set (presence left alone). */
    const hashes = new Map<string, string | undefined>();

    ctx.serverFeature(NS_VCARD);
    ctx.accountFeature(NS_VCARD); // to the owner; others find vcard-temp on the server
    ctx.accountFeature(NS_PEP_VCARD_CONVERSION);

    ctx.iq('get', 'account', NS_VCARD, async (_iq, _session, target) => {
      const r = await ask<VCardResult>(ctx, ProfileSubjects.getVCard, { owner: target.bare } satisfies VCardQuery);
      if (r.vcard) {
        try {
          return parseXml(r.vcard);
        } catch {
          ctx.log.warn('a stored vCard does not parse');
        }
      }
      return x('vCard', { xmlns: NS_VCARD }); // XEP-0054 §3.1: no vCard is an empty one
    });

    ctx.iq('set', 'account', NS_VCARD, async (iq, session, target) => {
      if (session.bare !== target.bare) throw StanzaError.forbidden(); // §3.2: one's own only
      const v = iq.getChild('vCard', NS_VCARD);
      if (!v) throw StanzaError.badRequest("expected <vCard xmlns='vcard-temp'/>");
      const r = await ask<SetVCardResult>(ctx, ProfileSubjects.setVCard, { owner: session.bare, vcard: v.toString() } satisfies SetVCardCommand);
      if (hashes.has(session.bare)) hashes.set(session.bare, r.photoHash);
      return undefined;
    });

    const hashOf = async (bare: string): Promise<string | undefined> => {
      if (hashes.has(bare)) return hashes.get(bare);
      try {
        const r = await ctx.bus.request<AvatarHashResult>(ProfileSubjects.avatarHash, { owner: bare } satisfies AvatarHashQuery, { timeoutMs: HASH_TIMEOUT_MS });
        if (ctx.directory.resources(bare).some((st) => st.session)) hashes.set(bare, r.photoHash);
        return r.photoHash;
      } catch {
        return undefined; // the presence goes out as the client sent it
      }
    };

    // XEP-0153 §4.1 / XEP-0398 §4: the server keeps the hash in the user's presence current
    ctx.hook(
      CoreHooks.outboundPresence,
      async ({ session, stanza, to }) => {
        if (to || stanza.attrs.type) return false;
        const hash = await hashOf(session.bare);
        if (hash === undefined) return false;
        stanza.children = stanza.children.filter((c) => typeof c === 'string' || !(c.name === 'x' && c.attrs.xmlns === NS_VCARD_UPDATE));
        stanza.append(x('x', { xmlns: NS_VCARD_UPDATE }, hash ? x('photo', null, hash) : x('photo')));
        return false;
      },
      VCARD_PRIORITY,
    );
    const forgetUnlessLocal = ({ session }: { session: Session }) => {
      if (!ctx.directory.resources(session.bare).some((st) => st.session)) hashes.delete(session.bare);
    };
    ctx.hook(CoreHooks.sessionEnded, forgetUnlessLocal);
    ctx.hook(CoreHooks.sessionMoved, forgetUnlessLocal);

    const sub = ctx.bus.subscribe<PepNotificationV1>(ProfileEvents.notify, (n) => {
      if (n?.node !== NS_AVATAR_METADATA || n.kind !== 'items' || !hashes.has(n.publisher) || !n.item?.payload) return;
      let meta: Element;
      try {
        meta = parseXml(n.item.payload);
      } catch {
        return;
      }
      const info = avatarMetadataInfo(meta);
      if (info === null) hashes.set(n.publisher, '');
      else if (info) hashes.set(n.publisher, info.id);
    });
    ctx.onStop(() => sub.unsubscribe());
  },
});
