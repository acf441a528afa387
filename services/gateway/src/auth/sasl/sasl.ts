// SASL negotiation for one connection (RFC 6120 §6): mechanism choice, the
// exchange, and failed-login throttling (auth/throttle.ts LoginThrottle: answers held
// back rather than refused; in memory only). Every failure answers <not-authorized/>,
// whatever went wrong.
import { JidError, makeJid } from '@parley/jid';
import type { Logger } from 'pino';
import { AccountsStore, credentialsFor } from '../accounts.store';
import type { LoginThrottle } from '../throttle';
import { parsePlain, verifyPlain } from './plain';
import { ScramHash, ScramServer } from './scram';

/** The outcome of one SASL step, as the connection writes it. */
export type SaslOutcome =
  | { kind: 'challenge'; data: Buffer }
  | { kind: 'success'; data: Buffer; username: string; mechanism: string }
  | { kind: 'failure'; condition: string; text?: string };

/** What SASL needs of its connection. */
export interface SaslConnection {
  readonly secure: boolean;
  readonly address: string;
  channelBindings(): string[];
  channelBindingData(type: string): Buffer | undefined;
}

const SCRAM: Record<string, { hash: ScramHash; plus: boolean }> = {
  'SCRAM-SHA-512-PLUS': { hash: 'sha512', plus: true },
  'SCRAM-SHA-512': { hash: 'sha512', plus: false },
  'SCRAM-SHA-256-PLUS': { hash: 'sha256', plus: true },
  'SCRAM-SHA-1-PLUS': { hash: 'sha1', plus: true },
  'SCRAM-SHA-256': { hash: 'sha256', plus: false },
  'SCRAM-SHA-1': { hash: 'sha1', plus: false },
};

/** What SASL needs of the gateway. */
export interface SaslHost {
  readonly domain: string;
  readonly store: Pick<AccountsStore, 'find'>;
  /** Failed logins per address and per (account, address) (in memory only). */
  readonly authThrottle: LoginThrottle;
  readonly metrics: { authFailures: number };
  /** What unknown users' fake SCRAM answers are made of: the deployment's shared secret and real accounts' iteration count. */
  readonly fakeCredentials: { secret: Buffer; iterations: number };
  /** Whether SCRAM-SHA-512 is offered: only while every account has its keys (see README, "Secure it"). */
  readonly scramSha512: boolean;
  /** A PLAIN login verified `password`: derive the SHA-512 keys the account may lack (in the background; errors handled there). */
  passwordSeen(username: string, password: string): void;
  readonly log: Pick<Logger, 'warn'>;
}

export class SaslNegotiation {
  private scram?: ScramServer;
  private mechanism = '';

  constructor(
    private readonly gw: SaslHost,
    private readonly conn: SaslConnection,
  ) {}

  /**
   * Mechanisms offered, strongest first; PLAIN only inside TLS, -PLUS only with channel
   * binding, SCRAM-SHA-512 only when `sha512` (every account has its keys: a client picks
   * the strongest before naming its user, so offering it earlier would lock out accounts
   * whose keys cannot exist yet).
   */
  static mechanisms(secure: boolean, canBind: boolean, sha512 = false): string[] {
    const hashes = sha512 ? ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'SCRAM-SHA-1'] : ['SCRAM-SHA-256', 'SCRAM-SHA-1'];
    const m = canBind ? hashes.map((h) => `${h}-PLUS`) : [];
    m.push(...hashes);
    if (secure) m.push('PLAIN');
    return m;
  }

  private username(raw: string): string | undefined {
    try {
      return makeJid(raw, this.gw.domain).local || undefined;
    } catch (e) {
      if (e instanceof JidError) return undefined;
      throw e;
    }
  }

  private throttled(username: string | undefined): boolean {
    return this.gw.authThrottle.refused(username, this.conn.address);
  }

  /** A wrong password or unknown user: counted, and answered after the throttle's delay. */
  private async failed(username: string | undefined): Promise<SaslOutcome> {
    const delay = this.gw.authThrottle.failed(username, this.conn.address);
    this.gw.metrics.authFailures += 1;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay).unref());
    return { kind: 'failure', condition: 'not-authorized' };
  }

  private tooMany(): SaslOutcome {
    this.gw.metrics.authFailures += 1;
    return { kind: 'failure', condition: 'not-authorized', text: 'Too many failed attempts; try again later.' };
  }

  /**
   * The account store could not answer (database outage): RFC 6120 §6.5.12's
   * `temporary-auth-failure`, so the client tries again later instead of losing its
   * stream to an internal error. Not counted as a failed login.
   */
  private unavailable(e: unknown): SaslOutcome {
    this.gw.log.warn({ err: (e as Error).message }, 'account store unavailable during authentication');
    return { kind: 'failure', condition: 'temporary-auth-failure', text: 'Authentication is unavailable for a moment; try again.' };
  }

  /** Handles `<auth mechanism=...>` with its base64 initial response (`=` is empty). */
  async start(mechanism: string, b64: string): Promise<SaslOutcome> {
    try {
      return await this.startNow(mechanism, b64);
    } catch (e) {
      return this.unavailable(e);
    }
  }

  private async startNow(mechanism: string, b64: string): Promise<SaslOutcome> {
    const offered = SaslNegotiation.mechanisms(this.conn.secure, this.conn.channelBindings().length > 0, this.gw.scramSha512);
    if (!offered.includes(mechanism)) return { kind: 'failure', condition: 'invalid-mechanism' };
    const data = decode(b64);
    if (!data) return { kind: 'failure', condition: 'incorrect-encoding' };
    this.mechanism = mechanism;
    if (mechanism === 'PLAIN') return this.plain(data);
    const spec = SCRAM[mechanism];
    if (data.length === 0) return { kind: 'challenge', data: Buffer.alloc(0) }; // client sends client-first next
    return this.scramStart(spec, data);
  }

  private async scramStart(spec: { hash: ScramHash; plus: boolean }, data: Buffer): Promise<SaslOutcome> {
    let seenUser: string | undefined;
    this.scram = new ScramServer({
      hash: spec.hash,
      plus: spec.plus,
      domain: this.gw.domain,
      serverSupportsPlus: this.conn.channelBindings().length > 0,
      fakeSecret: this.gw.fakeCredentials.secret,
      fakeIterations: this.gw.fakeCredentials.iterations,
      channelBinding: (type) => (this.conn.channelBindings().includes(type) ? this.conn.channelBindingData(type) : undefined),
      lookup: async (raw) => {
        const u = this.username(raw);
        seenUser = u;
        if (!u || this.throttled(u)) return undefined;
        const acct = await this.gw.store.find(u);
        return acct ? credentialsFor(acct, spec.hash) : undefined;
      },
    });
    this.pendingUser = () => seenUser;
    return this.map(await this.scram.start(data));
  }

  private pendingUser: () => string | undefined = () => undefined;

  /** Handles `<response>`. */
  async step(b64: string): Promise<SaslOutcome> {
    try {
      return await this.stepNow(b64);
    } catch (e) {
      return this.unavailable(e);
    }
  }

  private async stepNow(b64: string): Promise<SaslOutcome> {
    const data = decode(b64);
    if (!data) return { kind: 'failure', condition: 'incorrect-encoding' };
    if (!this.scram) {
      const spec = SCRAM[this.mechanism];
      if (!spec) return { kind: 'failure', condition: 'malformed-request' };
      return this.scramStart(spec, data);
    }
    return this.map(await this.scram.step(data));
  }

  private map(step: Awaited<ReturnType<ScramServer['start']>>): SaslOutcome | Promise<SaslOutcome> {
    const user = this.pendingUser();
    if (step.kind === 'challenge') return step;
    if (step.kind === 'success') {
      const username = this.username(step.username);
      if (!username) return this.failed(undefined);
      if (this.throttled(username)) return this.tooMany();
      this.gw.authThrottle.succeeded(username, this.conn.address);
      return { kind: 'success', data: step.data, username, mechanism: this.mechanism };
    }
    if (step.condition === 'not-authorized') {
      if (this.throttled(user)) return this.tooMany();
      return this.failed(user);
    }
    return { kind: 'failure', condition: step.condition, text: step.text };
  }

  private async plain(data: Buffer): Promise<SaslOutcome> {
    const m = parsePlain(data);
    if (!m) return { kind: 'failure', condition: 'malformed-request' };
    const username = this.username(m.authcid);
    if (m.authzid && m.authzid !== `${username}@${this.gw.domain}`) return { kind: 'failure', condition: 'invalid-authzid' };
    if (this.throttled(username)) return this.tooMany();
    const acct = username ? await this.gw.store.find(username) : undefined;
    if (!acct || !(await verifyPlain(m.password, acct.sha256))) return this.failed(username);
    this.gw.authThrottle.succeeded(username!, this.conn.address);
    if (!acct.sha512) this.gw.passwordSeen(username!, m.password);
    return { kind: 'success', data: Buffer.alloc(0), username: username!, mechanism: 'PLAIN' };
  }
}

function decode(b64: string): Buffer | undefined {
  const s = b64.trim();
  if (s === '' || s === '=') return Buffer.alloc(0);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  return Buffer.from(s, 'base64');
}
