import type { UserExport } from '../../export/user-export';
import { sessionCookie } from './account-page.module';
import { archiveOn, loginPage, overviewPage } from './pages';

const data = (over: Partial<UserExport> = {}): UserExport => ({
  format: 'parley-export/1',
  jid: 'alice@example.org',
  exportedAt: '2026-01-01T00:00:00.000Z',
  account: { known: true, createdAt: '2026-01-01T10:00:00.000Z' },
  roster: { items: [], pendingIn: [] },
  blocked: [],
  offline: [],
  archive: { prefs: { default: 'never', always: [], never: [] }, messages: [] },
  uploads: [],
  profile: { private: [], nodes: [] },
  ...over,
});
const session = { bare: 'alice@example.org', local: 'alice', csrf: 'tok"en' };

describe('account pages', () => {
  it('escapes what users control (file names, addresses) and carries the CSRF token in every form', () => {
    const html = overviewPage(
      'example.org',
      session,
      data({
        blocked: ['a<b>@example.net'],
        uploads: [{ name: '<script>alert(1)</script>.txt', size: 4, contentType: 'text/plain', purpose: 'message', uploadedAt: '2026-01-01T00:00:00Z', expiresAt: '2026-01-02T00:00:00Z', url: 'https://u/x' }],
      }),
    );
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;.txt');
    expect(html).toContain('a&lt;b&gt;@example.net');
    const forms = html.match(/<form method="post"/g)!.length;
    expect(html.match(/<input type="hidden" name="csrf" value="tok&quot;en">/g)).toHaveLength(forms);
    expect(forms).toBe(3); // archive, delete, log out
  });

  it('labels every field (accessible without JavaScript)', () => {
    for (const html of [loginPage('example.org', 'x'), overviewPage('example.org', session, data())]) {
      expect(html).not.toMatch(/<script/);
      for (const [, id] of html.matchAll(/<input id="([^"]+)"/g)) expect(html).toContain(`<label for="${id}">`);
    }
  });

  it('reads archiving as on unless nothing is ever archived (XEP-0441)', () => {
    expect(archiveOn({ default: 'never', always: [], never: [] })).toBe(false);
    expect(archiveOn({ default: 'never', always: ['bob@example.org'], never: [] })).toBe(true);
    expect(archiveOn({ default: 'roster', always: [], never: [] })).toBe(true);
  });

  it('finds its cookie among others', () => {
    expect(sessionCookie('a=1; __Host-parley_account=abc; b=2')).toBe('abc');
    expect(sessionCookie('parley_account=abc')).toBeUndefined();
    expect(sessionCookie(undefined)).toBeUndefined();
  });
});
