// The privacy self-service page at /account (on the WebSocket listener, WS_PORT): a user
// logs in with their XMPP account and sees, live from the services that own it, what
// Parley stores about them (the same collector as "Export my data" and `ctl export`),
// turns message archiving on or off (the archive's own set-prefs command, as XEP-0313/0441
// preferences do), downloads the export, and deletes the account (the XEP-0077 removal
// path: every owner erases the user on the account-deleted event).
//
// Server-rendered HTML that works without JavaScript, under a CSP that allows nothing but
// this origin's stylesheet. The HTTP session lives in this gateway's memory: a random id
// in a `__Host-` cookie (Secure, HttpOnly, SameSite=Strict, short-lived), replaced at
// every login (no fixation); every form carries the session's CSRF token, and a request
// from another origin is refused. Password checks share the SASL login throttle.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { opt } from '@parley/config';
import { ArchivePrefsQuery, ArchivePrefsV1, ArchiveSetPrefsCommand, ArchiveSubjects } from '@parley/contracts';
import { collectUserExport, toJson } from '../../export/user-export';
import { defineModule } from '../../host';
import { ACCOUNT_CSS, deletedPage, loginPage, overviewPage, PageSession } from './pages';

const COOKIE = '__Host-parley_account';
const MAX_FORM = 8 * 1024;

interface HttpSession extends PageSession {
  expires: number;
}

/** The cookie header's value of our cookie (the first one). */
export function sessionCookie(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  return undefined;
}

function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  return new Promise((resolve) => {
    const type = String(req.headers['content-type'] ?? '');
    if (!type.startsWith('application/x-www-form-urlencoded')) {
      req.resume();
      return resolve(undefined);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_FORM) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
      } else chunks.push(c);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', () => resolve(undefined));
  });
}

function sameToken(a: string | null | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The page's CSP: nothing but this origin's stylesheet, forms posting to this origin. */
export const ACCOUNT_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const accountPageModule = defineModule({
  name: 'account-page',
  options: {
    ACCOUNT_PAGE: opt.bool({ doc: 'Serve the privacy self-service page at /account on the WebSocket listener (what is stored, archive on/off, data export, account deletion).', default: true }),
    ACCOUNT_PAGE_SESSION: opt.duration({ doc: 'How long a login to /account lasts (from the login; the session lives in this gateway\'s memory only).', default: '15m', min: '1m', max: '12h' }),
    ACCOUNT_PAGE_TIMEOUT: opt.duration({ doc: 'How long one owning service may take to answer for the /account page.', default: '15s', min: '1s', max: '5m' }),
  },
  init(ctx) {
    if (!ctx.options.ACCOUNT_PAGE) return;
    const sessions = new Map<string, HttpSession>();
    const bus = { request: <T>(subject: string, data: unknown) => ctx.bus.request<T>(subject, data, { timeoutMs: ctx.options.ACCOUNT_PAGE_TIMEOUT }) };
    const sweep = setInterval(() => {
      const now = Date.now();
      for (const [id, s] of sessions) if (s.expires <= now) sessions.delete(id);
    }, 60_000);
    sweep.unref();
    ctx.onStop(() => clearInterval(sweep));

    // same-origin: browsers then send Origin with the page's own form posts (no-referrer would make it `null`)
    const headers = { 'content-security-policy': ACCOUNT_CSP, 'x-frame-options': 'DENY', 'cache-control': 'no-store', 'referrer-policy': 'same-origin' };
    const html = (res: ServerResponse, status: number, body: string, extra: Record<string, string | string[]> = {}) => {
      res.writeHead(status, { ...headers, 'content-type': 'text/html; charset=utf-8', ...extra });
      res.end(body);
    };
    const redirect = (res: ServerResponse, extra: Record<string, string | string[]> = {}) => {
      res.writeHead(303, { ...headers, location: '/account', ...extra });
      res.end();
    };
    const clearCookie = `${COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0`;
    const current = (req: IncomingMessage): [string, HttpSession] | undefined => {
      const id = sessionCookie(req.headers.cookie);
      const s = id ? sessions.get(id) : undefined;
      if (!id || !s) return undefined;
      if (s.expires <= Date.now()) {
        sessions.delete(id);
        return undefined;
      }
      return [id, s];
    };
    /** A state-changing request must come from a page of this origin (browsers send Origin with every POST). */
    const sameOrigin = (req: IncomingMessage, base: string | undefined): boolean => {
      const origin = req.headers.origin;
      if (origin === undefined) return true; // non-browser clients: the CSRF token still applies
      return base !== undefined && origin.toLowerCase() === base.toLowerCase();
    };
    /** The password, checked under the SASL login throttle (answers held back after repeated failures). */
    const checkPassword = async (local: string, password: string, address: string): Promise<'ok' | 'refused' | 'wrong'> => {
      if (ctx.accounts.throttle.refused(local, address)) return 'refused';
      if (await ctx.accounts.verifyPassword(local, password)) {
        ctx.accounts.throttle.succeeded(local, address);
        return 'ok';
      }
      const delay = ctx.accounts.throttle.failed(local, address);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      return 'wrong';
    };
    // one collection at a time per account: each reads the whole archive
    const collecting = new Set<string>();
    const collect = async (bare: string) => {
      if (collecting.has(bare)) return undefined;
      collecting.add(bare);
      try {
        return await collectUserExport(bus, bare);
      } finally {
        collecting.delete(bare);
      }
    };
    const archivePrefs = (bare: string) => bus.request<ArchivePrefsV1>(ArchiveSubjects.getPrefs, { jid: bare } satisfies ArchivePrefsQuery);

    ctx.httpRoute('/account', async (req, res, { address, base }) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const addr = address ?? 'unknown';
      if (path === '/account/style.css' && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' });
        res.end(ACCOUNT_CSS);
        return;
      }
      const found = current(req);

      if (req.method === 'GET' && (path === '/account' || path === '/account/')) {
        if (!found) return html(res, 200, loginPage(ctx.domain));
        const [, s] = found;
        let data;
        try {
          data = await collect(s.bare);
        } catch (e) {
          ctx.log.warn({ err: (e as Error).message }, 'account page: data could not be collected');
        }
        return html(res, data ? 200 : 503, overviewPage(ctx.domain, s, data));
      }

      if (req.method === 'GET' && path === '/account/export') {
        if (!found) return redirect(res);
        const data = await collect(found[1].bare);
        if (!data) return html(res, 503, overviewPage(ctx.domain, found[1], undefined));
        res.writeHead(200, {
          ...headers,
          'content-type': 'application/json; charset=utf-8',
          'content-disposition': `attachment; filename="${found[1].local}-${ctx.domain}-export.json"`,
        });
        res.end(toJson(data));
        return;
      }

      if (req.method !== 'POST') {
        res.writeHead(req.method === 'GET' ? 404 : 405, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(req.method === 'GET' ? 'not found\n' : 'method not allowed\n');
        return;
      }
      if (!sameOrigin(req, base)) return html(res, 403, loginPage(ctx.domain, 'This form was sent from another site.'));
      const form = await readForm(req);
      if (!form) return html(res, 400, loginPage(ctx.domain, 'The form could not be read.'));

      if (path === '/account/login') {
        // a session id the browser brought is never kept (no fixation): logins get a new one
        const old = sessionCookie(req.headers.cookie);
        if (old) sessions.delete(old);
        let local: string;
        try {
          local = ctx.accounts.prepareUsername((form.get('username') ?? '').replace(new RegExp(`@${ctx.domain.replace(/\./g, '\\.')}$`, 'i'), ''));
        } catch {
          return html(res, 401, loginPage(ctx.domain, 'Wrong username or password.'));
        }
        const outcome = await checkPassword(local, form.get('password') ?? '', addr);
        if (outcome === 'refused') return html(res, 429, loginPage(ctx.domain, 'Too many attempts; try again later.'));
        if (outcome === 'wrong') return html(res, 401, loginPage(ctx.domain, 'Wrong username or password.'));
        const id = randomBytes(32).toString('base64url');
        const ttl = ctx.options.ACCOUNT_PAGE_SESSION;
        sessions.set(id, { bare: `${local}@${ctx.domain}`, local, csrf: randomBytes(32).toString('base64url'), expires: Date.now() + ttl });
        return redirect(res, { 'set-cookie': `${COOKIE}=${id}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(ttl / 1000)}` });
      }

      // everything else acts on the logged-in account, with the session's CSRF token
      // (the session is left alone: a forged request must not log its victim out either)
      if (!found || !sameToken(form.get('csrf'), found[1].csrf)) return html(res, 403, loginPage(ctx.domain, 'Your session ended or the form is stale; log in again.'));
      const [id, s] = found;

      if (path === '/account/logout') {
        sessions.delete(id);
        return redirect(res, { 'set-cookie': clearCookie });
      }
      if (path === '/account/archive') {
        const on = form.get('archive') === 'on';
        const prefs = await archivePrefs(s.bare);
        await bus.request<ArchivePrefsV1>(ArchiveSubjects.setPrefs, { jid: s.bare, default: on ? 'always' : 'never', always: prefs.always, never: prefs.never } satisfies ArchiveSetPrefsCommand);
        return redirect(res);
      }
      if (path === '/account/delete') {
        if (form.get('confirm') !== s.local) return html(res, 400, overviewPage(ctx.domain, s, undefined, 'To delete the account, type its username exactly.'));
        const outcome = await checkPassword(s.local, form.get('password') ?? '', addr);
        if (outcome !== 'ok') return html(res, outcome === 'refused' ? 429 : 401, overviewPage(ctx.domain, s, undefined, 'Wrong password: the account was not deleted.'));
        // the XEP-0077 removal path: delete (event to every owner), then end every session
        await ctx.accounts.removing(s.bare, () => ctx.accounts.delete(s.local, 'user'));
        ctx.sessions.endUser(s.bare, 'removed');
        for (const [other, o] of sessions) if (o.bare === s.bare) sessions.delete(other);
        ctx.log.info('account deleted from the account page');
        return html(res, 200, deletedPage(ctx.domain), { 'set-cookie': clearCookie });
      }
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
    });
  },
});
