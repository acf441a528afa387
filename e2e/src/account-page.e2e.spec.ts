// End-to-end: the privacy self-service page at /account in Debian's chromium (playwright-
// core), against every service that stores something about a user. A seeded account's
// figures come live from the owners; the user turns the archive on, downloads the export
// and deletes the account (after which no login works). A forged or cross-site form and a
// session id planted before login get nowhere. Screenshots land in tmp/account-page/ (and
// in PARLEY_SHOTS when set).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { waitFor } from '@parley/testing-stack';
import { connectClient, GatewayProcess, registerInBand, TestClient, xml } from '@parley/testing-xmpp';
import { E2EStack, startStack } from './stack';

const PASSWORD = 'correct horse battery';
const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = resolve(__dirname, '..', '..');
const OUT = join(ROOT, 'tmp', 'account-page');
const WAIT = 30_000;
const COOKIE = '__Host-parley_account';

describe('the account page at /account, end to end', () => {
  let stack: E2EStack;
  let gw: GatewayProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const clients: TestClient[] = [];
  let base: string;

  const shot = async (name: string) => {
    await page.screenshot({ path: join(OUT, name), fullPage: true });
    if (process.env.PARLEY_SHOTS) {
      mkdirSync(process.env.PARLEY_SHOTS, { recursive: true });
      await page.screenshot({ path: join(process.env.PARLEY_SHOTS, name), fullPage: true });
    }
  };

  const logIn = async (user: string, password: string, p = page) => {
    await p.goto(`${base}/account`);
    await p.getByLabel('Username').fill(user);
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: 'Log in' }).click();
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y --no-install-recommends chromium)`);
    mkdirSync(OUT, { recursive: true });
    const uploads = mkdtempSync(join(tmpdir(), 'parley-account-'));
    stack = await startStack('account');
    await Promise.all([
      stack.startService('roster'),
      stack.startService('offline'),
      stack.startService('archive'),
      stack.startService('profile'),
      stack.startService('janitor', { JANITOR_SWEEP_INTERVAL: '1h' }),
      stack.startService('upload', { UPLOAD_HTTP_PORT: '0', UPLOAD_DIR: join(uploads, 'files') }),
    ]);
    // a low ceiling of failed logins per account, to see the page share SASL's throttle
    gw = await stack.startGateway({ REGISTRATION_LIMIT: '5', AUTH_FAILURES_PER_ACCOUNT: '2' });
    base = `https://localhost:${gw.webSocketPort}`;
    for (const u of ['alice', 'bob']) expect(await registerInBand(gw.starttlsPort, u, PASSWORD)).toMatch(/type=.result./);
    // alice's account: one contact, one blocked address, a vCard; then a message while she is away
    const alice = await connectClient({ port: gw.starttlsPort, username: 'alice', password: PASSWORD, resource: 'seed' });
    await alice.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: 'bob@localhost', name: 'Bob' }))));
    await alice.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: 'spammer@example.net' }))));
    await alice.iq(xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Alice Account'))));
    await alice.stop();
    const bob = await connectClient({ port: gw.starttlsPort, username: 'bob', password: PASSWORD, resource: 'desk' });
    clients.push(bob);
    await bob.send(xml('message', { to: 'alice@localhost', type: 'chat', id: 'away' }, xml('body', {}, 'while you were away')));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'],
      timeout: WAIT,
    });
    context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 390, height: 844 }, acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT);
  }, 120_000);

  afterAll(async () => {
    if (gw && existsSync(OUT)) writeFileSync(join(OUT, 'gateway.log'), gw.logs.join('\n') + '\n');
    await context?.close().catch(() => undefined);
    await browser?.close();
    await Promise.all(clients.map((c) => c.stop()));
    await stack?.stop();
  }, 60_000);

  it('serves a login page with labelled fields under a strict CSP, and refuses a wrong password', async () => {
    const r = await page.goto(`${base}/account`);
    expect(r!.headers()['content-security-policy']).toBe("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    expect(await page.locator('script').count()).toBe(0);
    await logIn('alice', 'not the password');
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Wrong username or password');
    expect((await context.cookies()).filter((c) => c.name === COOKIE)).toEqual([]);
  });

  it('gives a new session id at login (a planted one is worthless) in a Secure, HttpOnly, SameSite=Strict cookie', async () => {
    await context.addCookies([{ name: COOKIE, value: 'planted-by-an-attacker', url: `${base}/`, secure: true, httpOnly: true, sameSite: 'Strict' }]);
    await logIn('alice', PASSWORD);
    await page.getByRole('heading', { name: 'Your account: alice@localhost' }).waitFor();
    const cookie = (await context.cookies()).find((c) => c.name === COOKIE)!;
    expect(cookie.value).not.toBe('planted-by-an-attacker');
    expect(cookie).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Strict', path: '/' });
    const attacker = await browser.newContext({ ignoreHTTPSErrors: true });
    await attacker.addCookies([{ name: COOKIE, value: 'planted-by-an-attacker', url: `${base}/`, secure: true, httpOnly: true, sameSite: 'Strict' }]);
    const seen = await attacker.request.get(`${base}/account`);
    expect(await seen.text()).toContain('Log in with your chat account');
    await attacker.close();
  });

  it('shows what the services store about the account, live', async () => {
    // the offline message reaches the offline service asynchronously
    await waitFor(
      async () => {
        await page.goto(`${base}/account`);
        return (await page.locator('#offline').textContent()) === '1';
      },
      { timeoutMs: WAIT, intervalMs: 500, what: 'the offline message on the page' },
    );
    expect(await page.locator('#contacts').textContent()).toBe('1');
    expect(await page.locator('#blocked').textContent()).toBe('spammer@example.net');
    expect(await page.locator('#archive').textContent()).toBe('off, 0 messages stored');
    expect(await page.locator('#vcard').textContent()).toBe('set');
    expect(await page.locator('#created').textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    await shot('account.png');
  });

  it('refuses a form without the session token, and one sent from another site', async () => {
    const forged = await context.request.post(`${base}/account/archive`, { form: { archive: 'on', csrf: 'guessed' } });
    expect(forged.status()).toBe(403);
    const token = await page.locator('input[name=csrf]').first().getAttribute('value');
    const crossSite = await context.request.post(`${base}/account/archive`, { form: { archive: 'on', csrf: token! }, headers: { origin: 'https://evil.example' } });
    expect(crossSite.status()).toBe(403);
    await page.goto(`${base}/account`);
    expect(await page.locator('#archive').textContent()).toBe('off, 0 messages stored');
  });

  it('turns the archive on (as XEP-0441 preferences) and downloads the export', async () => {
    await page.getByRole('button', { name: 'Turn the archive on' }).click();
    await page.getByRole('button', { name: 'Turn the archive off' }).waitFor();
    expect(await page.locator('#archive').textContent()).toMatch(/^on,/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download everything (JSON)' }).click()]);
    const file = join(OUT, 'export.json');
    await download.saveAs(file);
    const data = JSON.parse(readFileSync(file, 'utf8'));
    expect(data).toMatchObject({ format: 'parley-export/1', jid: 'alice@localhost', blocked: ['spammer@example.net'], archive: { prefs: { default: 'always' } } });
    expect(data.offline.map((m: { stanza: string }) => m.stanza).join()).toContain('while you were away');
    expect(JSON.stringify(data)).not.toContain(PASSWORD);
  });

  it('deletes the account after confirmation; no login works afterwards', async () => {
    await page.getByLabel('Type your username (alice) to confirm').fill('alice');
    await page.locator('#delete-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await page.getByRole('heading', { name: 'Your account was deleted' }).waitFor();
    await logIn('alice', PASSWORD);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Wrong username or password');
    await expect(connectClient({ port: gw.starttlsPort, username: 'alice', password: PASSWORD, resource: 'after' })).rejects.toThrow();
  });

  it('counts wrong passwords on the same throttle as SASL logins', async () => {
    const other = await browser.newContext({ ignoreHTTPSErrors: true });
    const p = await other.newPage();
    for (let i = 0; i < 2; i++) {
      await logIn('bob', `wrong ${i}`, p);
      await expect(p.getByRole('alert').textContent()).resolves.toContain('Wrong username or password');
    }
    // past AUTH_FAILURES_PER_ACCOUNT, an address that failed is refused even with the right password, here and over XMPP
    await logIn('bob', PASSWORD, p);
    await expect(p.getByRole('alert').textContent()).resolves.toContain('Too many attempts');
    await expect(connectClient({ port: gw.starttlsPort, username: 'bob', password: PASSWORD, resource: 'again' })).rejects.toThrow();
    await other.close();
  });
});
