// XEP-0012: Last Activity.
// - To the server (§5): its uptime in seconds.
// - To a user's bare JID (§4, offline user query): seconds since the user's last logout,
//   which the janitor keeps (janitor.qry.last-activity); `seconds='0'` while the user has an
//   available resource. Answered only to the user and to those who may see the user's
//   presence anyway: a roster item of the user for the asker with subscription `from` or
//   `both`. Anyone else, and everyone when the user hid it, gets <forbidden/>. No record of
//   a logout: <item-not-found/>. The janitor or the roster service unreachable: <service-unavailable/>.
// The user hides or shows it with an ad-hoc command (xep-0050-commands).
import { JanitorSubjects, LastActivityResult, RosterGetResult, RosterSubjects, SetLastActivityVisibilityCommand } from '@parley/contracts';
import { opt } from '@parley/config';
import { StanzaError } from '@parley/stanza';
import { x } from '@parley/xml';
import { dataForm, dataFormBoolean } from '@parley/xep';
import { defineModule, serviceError } from '../../host';
import { COMMANDS_API } from '../xep-0050-commands/api';
import { NS_LAST } from './api';

/** The ad-hoc command (XEP-0050) with which a user hides or shows their last activity. */
export const VISIBILITY_NODE = 'urn:parley:commands:last-activity-visibility';

export const lastModule = defineModule({
  name: 'xep-0012-last',
  uses: [COMMANDS_API],
  options: {
    LAST_ACTIVITY_ENABLED: opt.bool({
      doc: 'Answer XEP-0012 Last Activity: the server\'s uptime, and a user\'s last logout to the user\'s presence subscribers (unless the user hides it).',
      default: true,
    }),
  },
  init(ctx) {
    if (!ctx.options.LAST_ACTIVITY_ENABLED) return;
    const started = Date.now();
    ctx.serverFeature(NS_LAST);
    // listed to the owner only: others are answered only when subscribed (disco lists what anyone is answered)
    ctx.accountFeature(NS_LAST);
    ctx.iq('get', 'server', NS_LAST, () => x('query', { xmlns: NS_LAST, seconds: String(Math.floor((Date.now() - started) / 1000)) }));

    /** Whether `asker` may see `user`'s presence: the user's roster item for the asker is `from` or `both`. */
    const subscribed = async (user: string, asker: string): Promise<boolean> => {
      let r: RosterGetResult;
      try {
        r = await ctx.bus.request<RosterGetResult>(RosterSubjects.get, { user });
      } catch (e) {
        throw serviceError(e, 'roster service');
      }
      if (r.kind !== 'full') return false;
      const item = r.items.find((i) => i.jid === asker);
      return item?.subscription === 'from' || item?.subscription === 'both';
    };

    ctx.iq('get', 'account', NS_LAST, async (_iq, session, target) => {
      const self = session.bare === target.bare;
      if (!self && !(await subscribed(target.bare, session.bare))) throw StanzaError.forbidden();
      let last: LastActivityResult;
      try {
        last = await ctx.bus.request<LastActivityResult>(JanitorSubjects.lastActivity, { jid: target.bare });
      } catch (e) {
        throw serviceError(e, 'janitor');
      }
      if (last.hidden && !self) throw StanzaError.forbidden();
      if (ctx.directory.resources(target.bare).some((r) => r.available)) return x('query', { xmlns: NS_LAST, seconds: '0' });
      const at = last.lastLogoutAt ? Date.parse(last.lastLogoutAt) : NaN;
      if (Number.isNaN(at)) throw new StanzaError('item-not-found', 'no logout of this user is known');
      return x('query', { xmlns: NS_LAST, seconds: String(Math.max(0, Math.floor((Date.now() - at) / 1000))) });
    });

    const janitor = async <T>(subject: string, data: unknown): Promise<T> => {
      try {
        return await ctx.bus.request<T>(subject, data);
      } catch (e) {
        throw serviceError(e, 'janitor');
      }
    };
    ctx.tryUse(COMMANDS_API)?.add({
      node: VISIBILITY_NODE,
      name: 'Show or hide my last activity',
      start: async ({ bare }) => {
        const now = await janitor<LastActivityResult>(JanitorSubjects.lastActivity, { jid: bare });
        return {
          done: false,
          form: {
            type: 'form',
            title: 'Last activity',
            instructions: ['Contacts who see your presence can ask when you were last online. Hide it to answer nobody.'],
            fields: [{ var: 'hidden', type: 'boolean', label: 'Hide my last activity', values: [now.hidden ? '1' : '0'] }],
          },
        };
      },
      submit: async ({ bare }, f) => {
        const hidden = dataFormBoolean(dataForm.field(f, 'hidden')?.values[0]);
        if (hidden === undefined) throw StanzaError.badRequest('hidden must be a boolean');
        const r = await janitor<{ hidden: boolean }>(JanitorSubjects.setLastActivityVisibility, { jid: bare, hidden } satisfies SetLastActivityVisibilityCommand);
        return { done: true, note: { type: 'info', text: r.hidden ? 'Your last activity is hidden.' : 'Your contacts can see your last activity.' } };
      },
    });
  },
});
