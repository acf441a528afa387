// Client side of SCRAM-SHA-256 (RFC 7677) as a plug-in mechanism for the
// `saslmechanisms` factory that @xmpp/client uses (it ships SCRAM-SHA-1 only).
// Independent of the server's implementation; it also verifies the server's
// signature, which the stock SHA-1 mechanism does not.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

function saslname(s: string): string {
  return s.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function parse(msg: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of msg.split(',')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

/** A SCRAM-SHA-256 client mechanism (saslmechanisms interface). */
export class ScramSha256Mechanism {
  // saslmechanisms reads these from the prototype (see the assignments below the class)
  declare name: string;
  declare clientFirst: boolean;
  private stage: 'initial' | 'challenge' | 'final' = 'initial';
  private cnonce = '';
  private firstBare = '';
  private serverFirst = '';
  private expectedServerSignature?: Buffer;
  /** Set after the server's final message: whether its signature matched. */
  serverVerified = false;

  constructor(private readonly opts: { nonce?: string } = {}) {}

  response(cred: { username: string; password: string }): string {
    if (this.stage === 'initial') {
      this.cnonce = this.opts.nonce ?? randomBytes(18).toString('base64');
      this.firstBare = `n=${saslname(cred.username)},r=${this.cnonce}`;
      this.stage = 'challenge';
      return `n,,${this.firstBare}`;
    }
    if (this.stage === 'challenge') {
      const v = parse(this.serverFirst);
      if (!v.r?.startsWith(this.cnonce)) throw new Error('server nonce does not extend ours');
      const salted = pbkdf2Sync(cred.password.normalize('NFKC'), Buffer.from(v.s, 'base64'), Number(v.i), 32, 'sha256');
      const clientKey = createHmac('sha256', salted).update('Client Key').digest();
      const storedKey = createHash('sha256').update(clientKey).digest();
      const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${v.r}`;
      const authMessage = `${this.firstBare},${this.serverFirst},${withoutProof}`;
      const signature = createHmac('sha256', storedKey).update(authMessage).digest();
      const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
      const serverKey = createHmac('sha256', salted).update('Server Key').digest();
      this.expectedServerSignature = createHmac('sha256', serverKey).update(authMessage).digest();
      this.stage = 'final';
      return `${withoutProof},p=${proof.toString('base64')}`;
    }
    return '';
  }

  challenge(chal: string): this {
    if (this.stage === 'challenge') this.serverFirst = chal;
    else if (this.stage === 'final') {
      const v = parse(chal).v;
      this.serverVerified = !!v && !!this.expectedServerSignature && Buffer.from(v, 'base64').equals(this.expectedServerSignature);
    }
    return this;
  }
}

ScramSha256Mechanism.prototype.name = 'SCRAM-SHA-256';
ScramSha256Mechanism.prototype.clientFirst = true;
