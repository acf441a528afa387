// A throwaway certification authority for tests, made with the openssl command line:
// a CA, then leaf certificates it signs with the subjectAltNames a test needs (DNS, IP,
// id-on-xmppAddr, SRV-ID), each usable as a TLS server and client certificate.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** subjectAltName entries: `DNS:x`, `IP:x`, `xmpp:x` (id-on-xmppAddr), `srv:_xmpp-server.x` (SRV-ID). */
export type SanEntry = string;

export interface IssuedCert {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

export interface IssueOptions {
  /** A certificate this CA did not sign. */
  selfSigned?: boolean;
  days?: number;
  /** extendedKeyUsage; default `serverAuth,clientAuth` (a server certificate of today's public CAs has serverAuth only). */
  extendedKeyUsage?: string;
}

export interface TestCa {
  dir: string;
  certFile: string;
  cert: string;
  /** A leaf for `cn` with the given subjectAltNames; `selfSigned` makes one this CA did not sign. */
  issue(name: string, cn: string, sans: SanEntry[], opts?: IssueOptions): IssuedCert;
}

function sanExtension(sans: SanEntry[]): string {
  return sans
    .map((s) => {
      if (s.startsWith('xmpp:')) return `otherName:1.3.6.1.5.5.7.8.5;UTF8:${s.slice(5)}`;
      if (s.startsWith('srv:')) return `otherName:1.3.6.1.5.5.7.8.7;IA5:${s.slice(4)}`;
      return s;
    })
    .join(',');
}

/** Creates a CA in a fresh temporary directory (EC P-256 keys: fast to make). */
export function createTestCa(name = 'Parley Test CA'): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'parley-test-ca-'));
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.pem');
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', caCert, '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  let serial = 1;
  return {
    dir,
    certFile: caCert,
    cert: readFileSync(caCert, 'utf8'),
    issue(leaf, cn, sans, opts = {}) {
      const keyFile = join(dir, `${leaf}.key`);
      const certFile = join(dir, `${leaf}.pem`);
      const ext = join(dir, `${leaf}.ext`);
      writeFileSync(ext, `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=${opts.extendedKeyUsage ?? 'serverAuth,clientAuth'}\n${sans.length ? `subjectAltName=${sanExtension(sans)}\n` : ''}`);
      const days = String(opts.days ?? 2);
      if (opts.selfSigned) {
        run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', days, '-subj', `/CN=${cn}`, '-extensions', 'v3', '-config', configWith(dir, leaf, ext)]);
      } else {
        const csr = join(dir, `${leaf}.csr`);
        run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', `/CN=${cn}`]);
        run(['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-set_serial', String(++serial), '-out', certFile, '-days', days, '-extfile', ext]);
      }
      return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    },
  };
}

/** An openssl config whose `v3` section is the extension file (for self-signed leaves). */
function configWith(dir: string, leaf: string, ext: string): string {
  const cfg = join(dir, `${leaf}.cnf`);
  writeFileSync(cfg, `[req]\ndistinguished_name=dn\n[dn]\n[v3]\n${readFileSync(ext, 'utf8')}`);
  return cfg;
}
