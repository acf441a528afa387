// Peer certificate identity (RFC 6120 §13.7.1.2, RFC 6125) against real certificates
// made by a throwaway CA with openssl.
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { createTestCa, TestCa } from '@parley/testing-xmpp';
import { certificateNamesDomain, certifiedFor, chainTrustedAsServer, dnsNameMatches, parseSubjectAltName, trustedAuthorities } from './identity';

describe('peer certificate identity (RFC 6125)', () => {
  let ca: TestCa;
  const cert = (name: string, sans: string[]) => new X509Certificate(ca.issue(name, 'ignored.example', sans).cert);

  beforeAll(() => {
    ca = createTestCa();
  });

  it('reads the subjectAltName kinds XMPP uses, and a quoted name cannot forge another entry', () => {
    expect(parseSubjectAltName('DNS:a.example, IP Address:127.0.0.1, othername:XmppAddr:b.example, othername:SRVName:_xmpp-server.c.example, URI:x:y')).toEqual({
      dns: ['a.example'],
      ip: ['127.0.0.1'],
      xmppAddr: ['b.example'],
      srv: ['_xmpp-server.c.example'],
    });
    expect(parseSubjectAltName('DNS:"evil.example, DNS:victim.example"')).toEqual({ dns: ['evil.example, DNS:victim.example'], ip: [], xmppAddr: [], srv: [] });
    expect(parseSubjectAltName(undefined)).toEqual({ dns: [], ip: [], xmppAddr: [], srv: [] });
  });

  it('matches DNS-IDs exactly or with a whole left-most wildcard label only', () => {
    expect(dnsNameMatches('Example.ORG', 'example.org.')).toBe(true);
    expect(dnsNameMatches('chat.example.org', '*.example.org')).toBe(true);
    expect(dnsNameMatches('example.org', '*.example.org')).toBe(false);
    expect(dnsNameMatches('a.chat.example.org', '*.example.org')).toBe(false);
    expect(dnsNameMatches('im1.example.net', 'im*.example.net')).toBe(false); // partial wildcards are not honoured
    expect(dnsNameMatches('example.com', '*.com')).toBe(false);
    expect(dnsNameMatches('bücher.example', 'xn--bcher-kva.example')).toBe(true); // IDN: compared in A-labels
  });

  it('finds the domain in a DNS-ID, a wildcard, an XmppAddr or an SRV-ID, never in the Common Name', () => {
    expect(certificateNamesDomain(cert('dns', ['DNS:xmpp.example.org']), 'xmpp.example.org')).toBe(true);
    expect(certificateNamesDomain(cert('dns2', ['DNS:xmpp.example.org']), 'example.org')).toBe(false); // the host is not the domain
    expect(certificateNamesDomain(cert('wild', ['DNS:*.example.org']), 'muc.example.org')).toBe(true);
    const xmpp = cert('xmpp', ['xmpp:example.com', 'xmpp:user@other.example']);
    expect(certificateNamesDomain(xmpp, 'EXAMPLE.com')).toBe(true);
    expect(certificateNamesDomain(xmpp, 'other.example')).toBe(false); // a full JID is not a domain identity
    const srv = cert('srv', ['srv:_xmpp-server.example.net', 'srv:_xmpp-client.client-only.example', 'srv:_xmpps-server.*.wild.example']);
    expect(certificateNamesDomain(srv, 'example.net')).toBe(true);
    expect(certificateNamesDomain(srv, 'client-only.example')).toBe(false);
    expect(certificateNamesDomain(srv, 'a.wild.example')).toBe(true);
    expect(certificateNamesDomain(new X509Certificate(ca.issue('cn', 'cn-only.example', []).cert), 'cn-only.example')).toBe(false);
  });

  it('matches an IP-literal domain to an iPAddress subjectAltName (or an XmppAddr naming it), not to a DNS-ID', () => {
    const ip = cert('ip', ['IP:127.3.4.5', 'IP:::1']);
    expect(certificateNamesDomain(ip, '127.3.4.5')).toBe(true);
    expect(certificateNamesDomain(ip, '[::1]')).toBe(true);
    expect(certificateNamesDomain(ip, '127.3.4.6')).toBe(false);
    expect(certificateNamesDomain(cert('ipdns', ['DNS:127.3.4.7']), '127.3.4.7')).toBe(false);
    expect(certificateNamesDomain(cert('ipxmpp', ['xmpp:127.3.4.8']), '127.3.4.8')).toBe(true);
  });

  it('counts a certificate only with a verified chain', () => {
    const c = cert('chain', ['DNS:chain.example']);
    expect(certifiedFor({ chainValid: true, cert: c }, 'chain.example')).toBe(true);
    expect(certifiedFor({ chainValid: false, error: 'SELF_SIGNED_CERT_IN_CHAIN', cert: c }, 'chain.example')).toBe(false);
    expect(certifiedFor({ chainValid: false, error: 'no certificate' }, 'chain.example')).toBe(false);
    expect(certifiedFor(undefined, 'chain.example')).toBe(false);
  });

  it('accepts a server certificate presented as a client certificate when its chain verifies, whatever its purpose says', () => {
    const root = new X509Certificate(ca.cert);
    const serverOnly = new X509Certificate(ca.issue('serveronly', 'so.example', ['DNS:so.example'], { extendedKeyUsage: 'serverAuth' }).cert);
    expect(chainTrustedAsServer([serverOnly], [root])).toBe(true);
    expect(chainTrustedAsServer([serverOnly], [])).toBe(false); // not a trusted authority
    expect(chainTrustedAsServer([serverOnly], [root], Date.now() + 10 * 86_400_000)).toBe(false); // expired by then
    const selfSigned = new X509Certificate(ca.issue('selfso', 'so.example', ['DNS:so.example'], { selfSigned: true, extendedKeyUsage: 'serverAuth' }).cert);
    expect(chainTrustedAsServer([selfSigned], [root])).toBe(false);
    expect(chainTrustedAsServer([selfSigned, root], [])).toBe(false); // a root the peer sends itself is no anchor
    const mail = new X509Certificate(ca.issue('mail', 'mail.example', ['DNS:mail.example'], { extendedKeyUsage: 'emailProtection' }).cert);
    expect(chainTrustedAsServer([mail], [root])).toBe(false); // neither a server nor a client certificate
    const other = new X509Certificate(createTestCa('Another CA').cert);
    expect(chainTrustedAsServer([serverOnly], [other])).toBe(false);
  });

  it('trusts the system roots, plus S2S_CA_FILE, or the file alone; refuses a file without certificates', () => {
    expect(trustedAuthorities(undefined, true)).toBeUndefined(); // Node's default store
    const both = trustedAuthorities(ca.certFile, true)!;
    expect(both).toHaveLength(rootCertificates.length + 1);
    expect(trustedAuthorities(ca.certFile, false)).toEqual([ca.cert.trim()]);
    const empty = join(ca.dir, 'empty.pem');
    writeFileSync(empty, 'nothing here\n');
    expect(() => trustedAuthorities(empty, true)).toThrow(/S2S_CA_FILE/);
  });
});
