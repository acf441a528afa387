// The external components (XEP-0114) a deployment admits: each a subdomain of
// XMPP_DOMAIN with its shared secret, from COMPONENTS and/or COMPONENTS_FILE. A
// secret is never part of an error message or a log record.
import { readFileSync } from 'node:fs';

/** A DNS label (RFC 1035 letters, digits, hyphens; not at the ends). */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Shortest shared secret accepted: the handshake (SHA-1 over stream id and secret) is only as strong as the secret. */
export const MIN_SECRET_LENGTH = 16;

/**
 * Parses `name:secret` entries (`name`: a label, read as `name.<domain>`, or a full
 * subdomain of `domain`). Throws one error listing every bad entry by position and
 * name, never by secret.
 */
export function parseComponents(entries: string[], domain: string): Map<string, string> {
  const out = new Map<string, string>();
  const problems: string[] = [];
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const rawName = (colon < 0 ? entry : entry.slice(0, colon)).trim().toLowerCase().replace(/\.$/, '');
    const secret = colon < 0 ? '' : entry.slice(colon + 1).trim();
    const where = `component ${i + 1}${rawName && rawName.length <= 255 ? ` (${rawName})` : ''}`;
    const name = rawName.includes('.') ? rawName : `${rawName}.${domain}`;
    const sub = name.endsWith(`.${domain}`) ? name.slice(0, -(domain.length + 1)) : undefined;
    if (!rawName || sub === undefined || !sub.split('.').every((l) => LABEL.test(l)) || name.length > 255) {
      problems.push(`${where}: the name must be a subdomain of ${domain} (\`name:secret\`, name \`x\` or \`x.${domain}\`)`);
      return;
    }
    if (secret.length < MIN_SECRET_LENGTH || /\s/.test(secret)) {
      problems.push(`${where}: the secret must have at least ${MIN_SECRET_LENGTH} characters and no spaces`);
      return;
    }
    if (out.has(name)) {
      problems.push(`${where}: configured twice`);
      return;
    }
    out.set(name, secret);
  });
  if (problems.length) throw new Error(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return out;
}

/** The entries of a COMPONENTS_FILE: one `name:secret` per line; blank lines and `#` comments ignored. */
export function readComponentsFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`invalid configuration:\n  - COMPONENTS_FILE: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}
