// Account lifecycle: create (in-band or admin), change password, delete. Each
// change commits its gateway.evt.* event in the outbox with it, and the outbox is
// published right after (and retried until it is); deletion is what every other owner
// reacts to by erasing the user. A deleted username stays a tombstone for USERNAME_TOMBSTONE.
import { AccountDeletedV1, AccountRegisteredV1, envelope, GatewayEvents } from '@parley/contracts';
import { JidError, makeJid } from '@parley/jid';
import { AccountExistsError, AccountsStore, EventOutbox, UsernameTombstonedError } from './accounts.store';
import { deriveScramCredentials, SaslPrepError, timingSafeEqualBuffers } from './sasl/scram';

/** A username that fails RFC 7622 preparation or policy. */
export class InvalidUsernameError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidUsernameError';
  }
}

/** A password refused by policy. */
export class WeakPasswordError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'WeakPasswordError';
  }
}

export { AccountExistsError, UsernameTombstonedError };

/** Minimum password length accepted for new passwords. */
export const MIN_PASSWORD_LENGTH = 8;

export class AccountsService {
  private readonly known = new Map<string, number>();

  constructor(
    private readonly store: AccountsStore,
    private readonly outbox: EventOutbox,
    private readonly o: { domain: string; iterations: number; /** USERNAME_TOMBSTONE; 0 keeps none. */ tombstoneMs: number },
  ) {}

  /** Prepares a username (localpart); throws InvalidUsernameError. */
  prepareUsername(raw: string): string {
    try {
      const j = makeJid(raw, this.o.domain);
      if (!j.local) throw new InvalidUsernameError('a username is required');
      return j.local;
    } catch (e) {
      if (e instanceof JidError) throw new InvalidUsernameError(`"${raw}" is not a valid username`);
      throw e;
    }
  }

  private async credentials(password: string) {
    if (password.length < MIN_PASSWORD_LENGTH) throw new WeakPasswordError(`passwords need at least ${MIN_PASSWORD_LENGTH} characters`);
    try {
      const [sha1, sha256, sha512] = await Promise.all([
        deriveScramCredentials(password, 'sha1', { iterations: this.o.iterations }),
        deriveScramCredentials(password, 'sha256', { iterations: this.o.iterations }),
        deriveScramCredentials(password, 'sha512', { iterations: this.o.iterations }),
      ]);
      return { sha1, sha256, sha512 };
    } catch (e) {
      if (e instanceof SaslPrepError) throw new WeakPasswordError('the password contains characters that are not allowed (RFC 4013)');
      throw e;
    }
  }

  /** Creates an account; throws AccountExistsError, InvalidUsernameError, WeakPasswordError. */
  async register(rawUsername: string, password: string, via: AccountRegisteredV1['via']): Promise<string> {
    const username = this.prepareUsername(rawUsername);
    const creds = await this.credentials(password);
    const jid = `${username}@${this.o.domain}`;
    await this.store.create(username, creds, {
      tombstonedAfter: this.o.tombstoneMs > 0 ? new Date(Date.now() - this.o.tombstoneMs) : undefined,
      event: envelope<AccountRegisteredV1>(GatewayEvents.accountRegistered, { jid, via }),
    });
    await this.outbox.tryFlush();
    return jid;
  }

  /** Replaces an account's credentials; false when it does not exist. */
  async changePassword(username: string, password: string): Promise<boolean> {
    return this.store.setCredentials(username, await this.credentials(password));
  }

  /**
   * Derives the SCRAM-SHA-512 keys an older account lacks, from its password just
   * verified (a PLAIN login): true when they were added. Never replaces existing keys.
   */
  async addMissingSha512(username: string, password: string): Promise<boolean> {
    const acct = await this.store.find(username);
    if (!acct || acct.sha512) return false;
    // same iteration count as the account's other keys, so a fake answer for an unknown user still looks alike
    return this.store.addSha512(username, await deriveScramCredentials(password, 'sha512', { iterations: acct.sha256.iterations }));
  }

  /**
   * Deletes an account with its gateway.evt.account-deleted (one transaction) and its
   * tombstone, then publishes the event; a failed publish stays in the outbox and is
   * retried. False when it did not exist.
   */
  async delete(username: string, reason: AccountDeletedV1['reason']): Promise<boolean> {
    const event = envelope<AccountDeletedV1>(GatewayEvents.accountDeleted, { jid: `${username}@${this.o.domain}`, reason });
    const existed = await this.store.delete(username, { event, tombstone: this.o.tombstoneMs > 0 });
    this.known.delete(username);
    if (existed) await this.outbox.tryFlush();
    return existed;
  }

  /** Removes the tombstones older than USERNAME_TOMBSTONE (the `gateway.cmd.sweep` job). */
  async sweepTombstones(now = new Date()): Promise<{ deleted: number; cutoff: Date; oldestRemaining?: Date }> {
    const cutoff = new Date(now.getTime() - this.o.tombstoneMs);
    return { ...(await this.store.sweepTombstones(cutoff)), cutoff };
  }

  /**
   * Whether `password` is the account's (outside SASL: the account page). The stored
   * SCRAM-SHA-256 key is derived from it with the account's salt and iterations; an
   * unknown account costs a derivation too. Callers apply the login throttle.
   */
  async verifyPassword(username: string, password: string): Promise<boolean> {
    const acct = await this.store.find(username);
    // an unknown account costs what a new account's check costs (SCRAM_ITERATIONS): its existence does not show in the time
    const creds = acct?.sha256 ?? { salt: Buffer.from('parley-no-such-account'), iterations: this.o.iterations, storedKey: Buffer.alloc(32) };
    try {
      const derived = await deriveScramCredentials(password, 'sha256', { salt: creds.salt, iterations: creds.iterations });
      return acct !== undefined && timingSafeEqualBuffers(derived.storedKey, creds.storedKey);
    } catch (e) {
      if (e instanceof SaslPrepError) return false;
      throw e;
    }
  }

  /** Number of registered accounts. */
  count(): Promise<number> {
    return this.store.count();
  }

  /** Whether an account exists; positive answers are cached briefly (deletions clear the cache). */
  async exists(username: string): Promise<boolean> {
    const until = this.known.get(username);
    if (until && until > Date.now()) return true;
    const yes = await this.store.exists(username);
    if (yes) {
      if (this.known.size > 100_000) this.known.clear();
      this.known.set(username, Date.now() + 60_000);
    }
    return yes;
  }

  /** Forgets a cached positive answer (another instance deleted the account). */
  forget(username: string): void {
    this.known.delete(username);
  }
}
