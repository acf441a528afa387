// XEP-0077: In-Band Registration — create an account before authentication (when
// enabled, inside TLS, rate-limited per source address in memory), change the
// password, and remove the account (which erases the user everywhere).
import { NS, StanzaError, StreamError } from '@parley/stanza';
import { Element, x } from '@parley/xml';
import { AccountExistsError, InvalidUsernameError, WeakPasswordError } from '../../accounts/accounts.service';
import { HANDLED, IqHandler } from '../registry';
import type { GatewayModule } from '..';

function fields(iq: Element): { username?: string; password?: string; remove: boolean } {
  const q = iq.getChild('query', NS.register);
  return { username: q?.getChildText('username'), password: q?.getChildText('password'), remove: !!q?.getChild('remove') };
}

function refuse(e: unknown): never {
  if (e instanceof AccountExistsError) throw new StanzaError('conflict', 'that username is taken');
  if (e instanceof InvalidUsernameError) throw new StanzaError('not-acceptable', e.message);
  if (e instanceof WeakPasswordError) throw new StanzaError('not-acceptable', e.message);
  throw e;
}

export const registerModule: GatewayModule = {
  name: 'xep-0077-register',
  init(gw) {
    const cfg = gw.config;
    gw.registry.preAuthFeatures.push((secure) =>
      cfg.REGISTRATION_ENABLED && (secure || !cfg.TLS_REQUIRED) ? x('register', { xmlns: NS.registerFeature }) : undefined,
    );
    // answered on both (password change and removal, XEP-0077 §3.2-3.3), so listed on both
    gw.registry.accountFeatures.add(NS.register);
    gw.registry.serverFeatures.add(NS.register);

    gw.registry.preAuthIq.set(NS.register, async (iq, conn) => {
      if (!cfg.REGISTRATION_ENABLED) throw new StanzaError('service-unavailable', 'registration is disabled on this server');
      if (cfg.TLS_REQUIRED && !conn.secure) throw new StanzaError('not-allowed', 'start TLS first');
      if (iq.attrs.type === 'get') {
        return x('query', { xmlns: NS.register }, x('instructions', null, `Choose a username and a password (at least 8 characters) for your account on ${gw.domain}.`), x('username'), x('password'));
      }
      const f = fields(iq);
      if (f.remove) throw new StanzaError('not-authorized', 'log in to remove an account');
      if (!f.username || !f.password) throw new StanzaError('not-acceptable', 'username and password are required');
      if (gw.registrationThrottle.over(conn.address)) throw new StanzaError('resource-constraint', 'too many registrations from your address; try again later', 'wait');
      try {
        await gw.accounts.register(f.username, f.password, 'in-band');
      } catch (e) {
        refuse(e);
      }
      gw.registrationThrottle.hit(conn.address);
      return undefined;
    });

    const get: IqHandler = (_iq, session, target) => {
      if (target.bare !== session.bare && target.bare !== gw.domain) throw StanzaError.forbidden();
      return x('query', { xmlns: NS.register }, x('registered'), x('username', null, session.jid.local));
    };

    // XEP-0077 §3.2/§3.3: sent to the server (or with no 'to', i.e. the account itself)
    const set: IqHandler = async (iq, session, target) => {
      if (target.bare !== session.bare && target.bare !== gw.domain) throw StanzaError.forbidden();
      const f = fields(iq);
      if (f.remove) {
        gw.removing.add(session.bare);
        try {
          await gw.accounts.delete(session.jid.local, 'user');
          // Answer first, then end the streams: the account no longer exists.
          session.send(x('iq', { type: 'result', id: iq.attrs.id, to: session.full, from: iq.attrs.to }));
          gw.sessions.closeAllLocal(session.bare, new StreamError('not-authorized', 'account removed'));
        } finally {
          gw.removing.delete(session.bare);
        }
        return HANDLED;
      }
      if (!f.password) throw new StanzaError('bad-request', 'a new password is required');
      if (f.username && gw.accounts.prepareUsername(f.username) !== session.jid.local) throw new StanzaError('not-allowed', 'you can only change your own password');
      try {
        await gw.accounts.changePassword(session.jid.local, f.password);
      } catch (e) {
        refuse(e);
      }
      return undefined;
    };
    for (const target of ['account', 'server'] as const) {
      gw.registry.onIq('get', target, NS.register, get);
      gw.registry.onIq('set', target, NS.register, set);
    }
  },
};
