// The /account pages: plain, server-rendered HTML (no script), labelled forms, one
// stylesheet from this origin. Every value shown is escaped.
import type { UserExport } from '../../export/user-export';

/** What a page needs of the HTTP session. */
export interface PageSession {
  bare: string;
  local: string;
  csrf: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export const ACCOUNT_CSS = `body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:0 auto;padding:1rem;color:#1a1a1a;background:#fff}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=text],input[type=password]{width:100%;max-width:24rem;padding:.5rem;font:inherit;border:1px solid #767676;border-radius:4px;box-sizing:border-box}
button,.button{display:inline-block;margin-top:.75rem;padding:.5rem 1rem;font:inherit;border:1px solid #1a4d8f;border-radius:4px;background:#1a4d8f;color:#fff;text-decoration:none;cursor:pointer}
button.danger{background:#a30000;border-color:#a30000}
.error{color:#a30000;font-weight:600}
dl{display:grid;grid-template-columns:minmax(0,max-content) minmax(0,1fr);gap:.25rem 1rem}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
@media (max-width:30rem){dl{grid-template-columns:minmax(0,1fr);gap:0}dd{margin-bottom:.5rem}}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #ddd}
:focus{outline:3px solid #f5a623;outline-offset:2px}
`;

function page(domain: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)} — ${escapeHtml(domain)}</title>
<link rel="stylesheet" href="/account/style.css">
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

const errorLine = (error?: string) => (error ? `<p class="error" role="alert">${escapeHtml(error)}</p>\n` : '');

export function loginPage(domain: string, error?: string): string {
  return page(
    domain,
    'Your account',
    `<h1>Your account on ${escapeHtml(domain)}</h1>
<p>Log in with your chat account to see what this server stores about you, download it, or delete your account.</p>
${errorLine(error)}<form method="post" action="/account/login">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button>
</form>`,
  );
}

export function deletedPage(domain: string): string {
  return page(domain, 'Account deleted', `<h1>Your account was deleted</h1>\n<p>Every service of ${escapeHtml(domain)} is erasing what it kept about you.</p>`);
}

const when = (iso?: string) => (iso ? escapeHtml(new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')) : 'unknown');
const csrfField = (s: PageSession) => `<input type="hidden" name="csrf" value="${escapeHtml(s.csrf)}">`;

/** Whether archiving is on for anyone (XEP-0441: `never` with an empty `always` list is off). */
export function archiveOn(prefs: UserExport['archive']['prefs']): boolean {
  return prefs.default !== 'never' || prefs.always.length > 0;
}

export function overviewPage(domain: string, s: PageSession, data: UserExport | undefined, error?: string): string {
  const parts: string[] = [`<h1>Your account: ${escapeHtml(s.bare)}</h1>`, errorLine(error)];
  if (!data) {
    parts.push('<p>What the server stores could not be gathered just now (a service is unavailable); reload to try again.</p>');
  } else {
    const on = archiveOn(data.archive.prefs);
    const profile = data.profile;
    parts.push(`<h2>What is stored</h2>
<dl>
<dt>Account created</dt><dd id="created">${when(data.account.createdAt)}</dd>
<dt>Last used</dt><dd id="last-used">${when(data.account.lastUsedAt)}</dd>
<dt>Contacts</dt><dd id="contacts">${data.roster.items.length}</dd>
<dt>Contact requests waiting</dt><dd id="pending">${data.roster.pendingIn.length}</dd>
<dt>Blocked addresses</dt><dd id="blocked">${data.blocked.length ? data.blocked.map(escapeHtml).join(', ') : 'none'}</dd>
<dt>Messages waiting for you (offline)</dt><dd id="offline">${data.offline.length}</dd>
<dt>Message archive</dt><dd id="archive">${on ? 'on' : 'off'}, ${data.archive.messages.length} message${data.archive.messages.length === 1 ? '' : 's'} stored</dd>
<dt>Uploaded files</dt><dd id="uploads">${data.uploads.length}</dd>
<dt>Profile (vCard)</dt><dd id="vcard">${profile.vcard ? 'set' : 'none'}</dd>
<dt>Private data</dt><dd id="private">${profile.private.length} item${profile.private.length === 1 ? '' : 's'}</dd>
<dt>Personal events (PEP)</dt><dd id="pep">${profile.nodes.length} node${profile.nodes.length === 1 ? '' : 's'}</dd>
</dl>`);
    if (data.uploads.length) {
      parts.push(`<table><caption>Uploaded files</caption><thead><tr><th scope="col">File</th><th scope="col">Size</th><th scope="col">Deleted on</th></tr></thead><tbody>
${data.uploads.map((u) => `<tr><td>${escapeHtml(u.name)}</td><td>${u.size} bytes</td><td>${when(u.expiresAt)}</td></tr>`).join('\n')}
</tbody></table>`);
    }
    parts.push(`<h2>Message archive</h2>
<p>When the archive is on, your messages are kept on the server so that your other devices can fetch them.</p>
<form method="post" action="/account/archive">${csrfField(s)}
<input type="hidden" name="archive" value="${on ? 'off' : 'on'}">
<button type="submit" id="archive-toggle">${on ? 'Turn the archive off' : 'Turn the archive on'}</button>
</form>`);
  }
  parts.push(`<h2>Your data</h2>
<p><a class="button" href="/account/export" download>Download everything (JSON)</a></p>
<h2>Delete your account</h2>
<p>This erases your account and everything every service keeps about you. It cannot be undone.</p>
<form method="post" action="/account/delete">${csrfField(s)}
<label for="confirm">Type your username (${escapeHtml(s.local)}) to confirm</label>
<input id="confirm" name="confirm" type="text" autocomplete="off" autocapitalize="none" spellcheck="false" required>
<label for="delete-password">Password</label>
<input id="delete-password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" class="danger">Delete my account</button>
</form>
<h2>Log out</h2>
<form method="post" action="/account/logout">${csrfField(s)}
<button type="submit">Log out</button>
</form>`);
  return page(domain, 'Your account', parts.join('\n'));
}
