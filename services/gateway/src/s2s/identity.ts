// Certificate identity of a peer server (RFC 6120 §13.7.1.2, RFC 6125): is this X.509
// certificate, whose chain the TLS layer already validated, one for the XMPP domain the
// peer claims? The reference identifier is the peer's domain (the JID domainpart), never
// the host we happened to connect to. Presented identifiers, in RFC 6120's order:
// SRV-ID (`_xmpp-server.<domain>`, `_xmpps-server.<domain>` for XEP-0368 direct TLS),
// XmppAddr (id-on-xmppAddr otherName, a bare domain), DNS-ID (a dNSName, with a wildcard
// only as the whole left-most label). An IP-literal domain matches an iPAddress
// subjectAltName (or an XmppAddr naming it). The Common Name is never consulted (RFC
// 9525 §6.3: CN-IDs are not sought).
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { DetailedPeerCertificate, rootCertificates, TLSSocket } from 'node:tls';
import { domainToASCII } from 'node:url';

export interface Presented {
  dns: string[];
  srv: string[];
  xmppAddr: string[];
  ip: string[];
}

/**
 * Splits Node's `subjectAltName` text ("DNS:a, IP Address:1.2.3.4, othername:XmppAddr:x")
 * into its entries. Node writes a value holding a comma, quote or colon as a JSON string
 * literal, so a name cannot smuggle in a second entry.
 */
export function parseSubjectAltName(text: string | undefined): Presented {
  const out: Presented = { dns: [], srv: [], xmppAddr: [], ip: [] };
  if (!text) return out;
  let i = 0;
  const readValue = (): string | undefined => {
    if (text[i] === '"') {
      // a JSON string literal: find its closing quote
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const lit = text.slice(i, j + 1);
      i = j + 1;
      try {
        return JSON.parse(lit) as string;
      } catch {
        return undefined;
      }
    }
    const end = text.indexOf(', ', i);
    const v = text.slice(i, end < 0 ? text.length : end);
    i = end < 0 ? text.length : end;
    return v;
  };
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const type = text.slice(i, colon);
    i = colon + 1;
    let sub: string | undefined;
    if (type === 'othername') {
      const c2 = text.indexOf(':', i);
      if (c2 < 0) break;
      sub = text.slice(i, c2);
      i = c2 + 1;
    }
    const value = readValue();
    if (value !== undefined) {
      if (type === 'DNS') out.dns.push(value);
      else if (type === 'IP Address') out.ip.push(value);
      else if (sub === 'XmppAddr') out.xmppAddr.push(value);
      else if (sub === 'SRVName') out.srv.push(value);
    }
    // skip to the next entry
    const next = text.indexOf(', ', i);
    if (next < 0) break;
    i = next + 2;
  }
  return out;
}

/** A DNS name in A-labels, lower case, without a trailing dot; undefined when it is not one. */
function asciiName(name: string): string | undefined {
  const a = domainToASCII(name.replace(/\.$/, '')).toLowerCase();
  return a && !a.startsWith('.') && !a.includes('..') ? a : undefined;
}

/** RFC 6125 §6.4.3: exact, or `*.rest` where the wildcard stands for exactly the first label (never a public suffix alone). */
export function dnsNameMatches(reference: string, presented: string): boolean {
  const ref = asciiName(reference);
  const p = presented.toLowerCase().replace(/\.$/, '');
  if (!ref) return false;
  if (!p.includes('*')) return asciiName(p) === ref;
  if (!p.startsWith('*.') || p.indexOf('*', 1) >= 0) return false; // only a whole left-most label
  const rest = p.slice(2);
  if (!rest.includes('.')) return false; // `*.com` names nobody
  const dot = ref.indexOf('.');
  return dot > 0 && ref.slice(dot + 1) === asciiName(rest);
}

/** Whether `cert` names the XMPP server of `domain` (see the file header). */
export function certificateNamesDomain(cert: X509Certificate, domain: string): boolean {
  const bare = domain.replace(/^\[|\]$/g, '');
  const names = parseSubjectAltName(cert.subjectAltName);
  const lower = bare.normalize('NFKC').toLowerCase();
  // XmppAddr: a bare domain compared as a domainpart (RFC 6120 §13.7.1.4); no wildcards
  if (names.xmppAddr.some((a) => !/[@/]/.test(a) && a.normalize('NFKC').toLowerCase().replace(/\.$/, '') === lower)) return true;
  if (isIP(bare)) return cert.checkIP(bare) !== undefined;
  for (const s of names.srv) {
    const m = /^(_xmpps?-server)\.(.+)$/i.exec(s);
    if (m && dnsNameMatches(bare, m[2])) return true;
  }
  return names.dns.some((d) => dnsNameMatches(bare, d));
}

/**
 * The certification authorities trusted for peer servers: Node's bundled root store
 * (Mozilla's, `tls.rootCertificates`) unless `system` is false, plus every certificate
 * in `caFile` (a PEM bundle). Undefined means "Node's default" (no CA file, system on).
 */
export function trustedAuthorities(caFile: string | undefined, system: boolean): string[] | undefined {
  if (!caFile && system) return undefined;
  const extra = caFile ? (readFileSync(caFile, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) : [];
  if (caFile && !extra.length) throw new Error(`invalid configuration:\n  - S2S_CA_FILE: ${caFile} holds no PEM certificate`);
  for (const pem of extra) new X509Certificate(pem); // throws on a malformed one, at start
  return [...(system ? rootCertificates : []), ...extra];
}

/** What the TLS layer established about a peer: a validated chain, and the certificate. */
export interface PeerCertificate {
  /** The chain verified against the trusted authorities (and dates). */
  chainValid: boolean;
  /** Why it did not (an OpenSSL code such as SELF_SIGNED_CERT_IN_CHAIN), or 'no certificate'. */
  error?: string;
  cert?: X509Certificate;
}

/** Whether the peer proved, by certificate, that it serves `domain`. */
export function certifiedFor(peer: PeerCertificate | undefined, domain: string): boolean {
  return !!peer?.chainValid && !!peer.cert && certificateNamesDomain(peer.cert, domain);
}

const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/**
 * The chain check OpenSSL makes, but for a server certificate presented as a TLS client
 * certificate: a peer server authenticates with its server certificate, whose extended
 * key usage may name serverAuth only (public CAs dropped clientAuth in 2026), which
 * OpenSSL's client-purpose check refuses (INVALID_PURPOSE, which may also hide other
 * faults: the whole chain is checked again here). Every certificate must be within its
 * validity; each must be signed by the next (an intermediate sent by the peer that is a
 * CA), up to one issued and signed by a trusted authority. Name constraints and path
 * lengths are not evaluated.
 */
export function chainTrustedAsServer(chain: X509Certificate[], anchors: X509Certificate[], now = Date.now()): boolean {
  const current = (c: X509Certificate) => Date.parse(c.validFrom) <= now && now <= Date.parse(c.validTo);
  const [leaf, ...sent] = chain;
  if (!leaf || !current(leaf)) return false;
  const eku = leaf.keyUsage; // the extended key usages; undefined: any
  if (eku && !eku.includes(EKU_SERVER_AUTH) && !eku.includes(EKU_CLIENT_AUTH)) return false;
  let cur = leaf;
  for (let depth = 0; depth < 8; depth++) {
    const at = cur;
    if (anchors.some((a) => current(a) && at.checkIssued(a) && at.verify(a.publicKey))) return true;
    const next = sent.find((i) => i.ca && current(i) && i.fingerprint256 !== at.fingerprint256 && at.checkIssued(i) && at.verify(i.publicKey));
    if (!next) return false;
    cur = next;
  }
  return false;
}

/** The certificates a TLS peer sent, leaf first (Node's detailed chain, stopping at a loop). */
function sentChain(s: TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  for (let c: DetailedPeerCertificate | undefined = s.getPeerCertificate(true); c?.raw && out.length < 10; c = c.issuerCertificate) {
    if (seen.has(c.fingerprint256)) break;
    seen.add(c.fingerprint256);
    out.push(new X509Certificate(c.raw));
  }
  return out;
}

/**
 * The peer certificate of a TLS socket as its `authorized` flag left it; with `anchors`
 * (the trusted authorities), a certificate refused for its purpose is checked again as a
 * server certificate ({@link chainTrustedAsServer}).
 */
export function peerCertificate(s: TLSSocket, anchors?: () => X509Certificate[]): PeerCertificate {
  const cert = s.getPeerX509Certificate();
  if (!cert) return { chainValid: false, error: 'no certificate' };
  if (s.authorized) return { chainValid: true, cert };
  const err = s.authorizationError as Error | string | null | undefined;
  const code = typeof err === 'string' ? err : ((err as { code?: string } | null | undefined)?.code ?? err?.message ?? 'not verified');
  if (code === 'INVALID_PURPOSE' && anchors && chainTrustedAsServer(sentChain(s), anchors())) return { chainValid: true, cert };
  return { chainValid: false, cert, error: code };
}
