// XEP-0077: In-Band Registration — create an account before authentication (when
// enabled, inside TLS, rate-limited per source address in memory), change the
// password, and remove the account (which erases the user everywhere).
import { NS, StanzaError, StreamError } from '@parley/stanza';
import { x } from '@parley/xml';
import { registerQuery } from '@parley/xep';
import { AccountExistsError, InvalidUsernameError, WeakPasswordError } from '../../auth/accounts.service';
import { opt } from '@parley/config';
import { defineModule, HANDLED, IqHandler } from '../../host';
import { WindowCounter } from '../../auth/throttle';

function refuse(e: unknown): never {
  if (e instanceof AccountExistsError) throw new StanzaError('conflict', 'that username is taken');
  if (e instanceof InvalidUsernameError) throw new StanzaError('not-acceptable', e.message);
  if (e instanceof WeakPasswordError) throw new StanzaError('not-acceptable', e.message);
  throw e;
}

export const registerModule = defineModule({
  name: 'xep-0077-register',
  options: {
    REGISTRATION_ENABLED: opt.bool({ doc: 'Allow in-band registration (XEP-0077).', default: true }),
    REGISTRATION_LIMIT: opt.int({ doc: 'In-band registrations allowed per source address per REGISTRATION_WINDOW.', default: 5, min: 1, max: 1_000_000 }),
    REGISTRATION_WINDOW: opt.duration({ doc: 'Window of REGISTRATION_LIMIT.', default: '1h', min: '1s' }),
  },
  init(ctx) {
    const enabled = ctx.options.REGISTRATION_ENABLED;
    // per source address, in memory only (the address is never stored)
    const throttle = new WindowCounter(ctx.options.REGISTRATION_LIMIT, ctx.options.REGISTRATION_WINDOW);
    ctx.preAuthFeature((secure) => (enabled && (secure || !ctx.tlsRequired) ? x('register', { xmlns: NS.registerFeature }) : undefined));
    // answered on both (password change and removal, XEP-0077 §3.2-3.3), so listed on both
    ctx.accountFeature(NS.register);
    ctx.serverFeature(NS.register);

    ctx.preAuthIq(NS.register, async (iq, conn) => {
      if (!enabled) throw new StanzaError('service-unavailable', 'registration is disabled on this server');
      if (ctx.tlsRequired && !conn.secure) throw new StanzaError('not-allowed', 'start TLS first');
      if (iq.attrs.type === 'get') {
        return registerQuery.formToElement(`Choose a username and a password (at least 8 characters) for your account on ${ctx.domain}.`);
      }
      const f = registerQuery.fromIq(iq);
      if (f.remove) throw new StanzaError('not-authorized', 'log in to remove an account');
      if (!f.username || !f.password) throw new StanzaError('not-acceptable', 'username and password are required');
      if (throttle.over(conn.address)) throw new StanzaError('resource-constraint', 'too many registrations from your address; try again later', 'wait');
      try {
        await ctx.accounts.register(f.username, f.password, 'in-band');
      } catch (e) {
        refuse(e);
      }
      throttle.hit(conn.address);
      return undefined;
    });

    const get: IqHandler = (_iq, session, target) => {
      if (target.bare !== session.bare && target.bare !== ctx.domain) throw StanzaError.forbidden();
      return registerQuery.registeredToElement(session.jid.local);
    };

    // XEP-0077 §3.2/§3.3: sent to the server (or with no 'to', i.e. the account itself)
    const set: IqHandler = async (iq, session, target) => {
      if (target.bare !== session.bare && target.bare !== ctx.domain) throw StanzaError.forbidden();
      const f = registerQuery.fromIq(iq);
      if (f.remove) {
        return ctx.accounts.removing(session.bare, async (): Promise<typeof HANDLED> => {
          await ctx.accounts.delete(session.jid.local, 'user');
          // Answer first, then end the streams: the account no longer exists.
          session.send(x('iq', { type: 'result', id: iq.attrs.id, to: session.full, from: iq.attrs.to }));
          ctx.sessions.closeAllLocal(session.bare, new StreamError('not-authorized', 'account removed'));
          return HANDLED;
        });
      }
      if (!f.password) throw new StanzaError('bad-request', 'a new password is required');
      if (f.username && ctx.accounts.prepareUsername(f.username) !== session.jid.local) throw new StanzaError('not-allowed', 'you can only change your own password');
      try {
        await ctx.accounts.changePassword(session.jid.local, f.password);
      } catch (e) {
        refuse(e);
      }
      return undefined;
    };
    for (const target of ['account', 'server'] as const) {
      ctx.iq('get', target, NS.register, get);
      ctx.iq('set', target, NS.register, set);
    }
  },
});
