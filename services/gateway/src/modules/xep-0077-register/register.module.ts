// XEP-0077: In-Band Registration — create an account before authentication (when
// open, inside TLS, rate-limited per source address in memory: every attempt counts,
// so probing for taken names is bounded too; loopback exempt by default, as Prosody
// does), change the password, and remove the account (which erases the user everywhere).
import { NS, StanzaError, StreamError } from '@parley/stanza';
import { x } from '@parley/xml';
import { registerQuery } from '@parley/xep';
import { AccountExistsError, InvalidUsernameError, WeakPasswordError } from '../../auth/accounts.service';
import { opt } from '@parley/config';
import { defineModule, HANDLED, IqHandler } from '../../host';
import { WindowCounter } from '../../auth/throttle';

/** An address as the allowlist names it (IPv4 clients on a dual-stack socket show as ::ffff:a.b.c.d). */
function plainAddress(a: string): string {
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

function refuse(e: unknown): never {
  if (e instanceof AccountExistsError) throw new StanzaError('conflict', 'that username is taken');
  if (e instanceof InvalidUsernameError) throw new StanzaError('not-acceptable', e.message);
  if (e instanceof WeakPasswordError) throw new StanzaError('not-acceptable', e.message);
  throw e;
}

export const registerModule = defineModule({
  name: 'xep-0077-register',
  options: {
    REGISTRATION_ENABLED: opt.bool({ doc: 'Allow in-band registration (XEP-0077); false is the same as REGISTRATION_MODE=closed.', default: true }),
    REGISTRATION_MODE: opt.str({
      doc: '`open`: anyone may register in band; `invite`: only with an invitation (none can be issued yet, so nobody registers in band; accounts come from the admin CLI); `closed`: never.',
      default: 'open',
      oneOf: ['open', 'invite', 'closed'],
    }),
    REGISTRATION_LIMIT: opt.int({ doc: 'In-band registrations that succeed per source address per REGISTRATION_WINDOW.', default: 5, min: 1, max: 1_000_000 }),
    REGISTRATION_ATTEMPTS: opt.int({
      doc: 'In-band registration attempts, failed ones included (a taken name costs two key derivations), per source address per REGISTRATION_WINDOW.',
      default: 20,
      min: 1,
      max: 1_000_000,
    }),
    REGISTRATION_WINDOW: opt.duration({ doc: 'Window of REGISTRATION_LIMIT and REGISTRATION_ATTEMPTS.', default: '1h', min: '1s' }),
    REGISTRATION_ALLOWLIST: opt.list({ doc: 'Source addresses exempt from the registration limits (comma-separated, exact).', default: '127.0.0.1,::1' }),
  },
  init(ctx) {
    const mode = ctx.options.REGISTRATION_ENABLED ? ctx.options.REGISTRATION_MODE : 'closed';
    const enabled = mode === 'open';
    // per source address, in memory only (the address is never stored)
    const successes = new WindowCounter(ctx.options.REGISTRATION_LIMIT, ctx.options.REGISTRATION_WINDOW);
    const attempts = new WindowCounter(ctx.options.REGISTRATION_ATTEMPTS, ctx.options.REGISTRATION_WINDOW);
    const exempt = new Set(ctx.options.REGISTRATION_ALLOWLIST.map(plainAddress));
    ctx.preAuthFeature((secure) => (enabled && (secure || !ctx.tlsRequired) ? x('register', { xmlns: NS.registerFeature }) : undefined));
    // answered on both (password change and removal, XEP-0077 §3.2-3.3), so listed on both
    ctx.accountFeature(NS.register);
    ctx.serverFeature(NS.register);

    ctx.preAuthIq(NS.register, async (iq, conn) => {
      if (mode === 'invite') throw new StanzaError('not-allowed', 'registration on this server is by invitation only');
      if (!enabled) throw new StanzaError('service-unavailable', 'registration is disabled on this server');
      if (ctx.tlsRequired && !conn.secure) throw new StanzaError('not-allowed', 'start TLS first');
      if (iq.attrs.type === 'get') {
        return registerQuery.formToElement(`Choose a username and a password (at least 8 characters) for your account on ${ctx.domain}.`);
      }
      const f = registerQuery.fromIq(iq);
      if (f.remove) throw new StanzaError('not-authorized', 'log in to remove an account');
      if (!f.username || !f.password) throw new StanzaError('not-acceptable', 'username and password are required');
      const address = plainAddress(conn.address);
      const limited = !exempt.has(address);
      if (limited && (successes.over(address) || attempts.over(address))) {
        throw new StanzaError('resource-constraint', 'too many registrations from your address; try again later', 'wait');
      }
      if (limited) attempts.hit(address);
      try {
        await ctx.accounts.register(f.username, f.password, 'in-band');
      } catch (e) {
        refuse(e);
      }
      if (limited) successes.hit(address);
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
      // On the shared login limiter (auth/throttle.ts): every change counts against this
      // (account, address) and this address as a failed login would, since each costs a key
      // derivation per SCRAM hash and needs no old password; beyond the free ones the answer
      // is held back before any work, and an address past the account's ceiling is refused.
      const account = session.jid.local;
      if (ctx.accounts.throttle.refused(account, session.address)) {
        throw new StanzaError('resource-constraint', 'too many attempts; try again later', 'wait');
      }
      const delay = ctx.accounts.throttle.failed(account, session.address);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay).unref());
      if (!f.password) throw new StanzaError('bad-request', 'a new password is required');
      if (f.username && ctx.accounts.prepareUsername(f.username) !== account) throw new StanzaError('not-allowed', 'you can only change your own password');
      try {
        await ctx.accounts.changePassword(account, f.password);
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
