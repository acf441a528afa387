// Accounts: a port and its TypeORM implementation. Only SCRAM keys are stored. An
// account's creation and deletion commit with their gateway.evt.* event in the outbox
// (@parley/persistence), so a deletion is never left without the event that makes every
// other owner erase the user; a deleted username leaves a tombstone (the name and the
// deletion time only) that refuses its registration for USERNAME_TOMBSTONE.
import type { EventEnvelope } from '@parley/contracts';
import { enqueueOutbox } from '@parley/persistence';
import { DataSource, Repository } from 'typeorm';
import type { ScramCredentials, ScramHash } from './sasl/scram';
import { AccountEntity } from '../persistence/entities/account.entity';
import { serialBatches } from '../host/batches';

/** Stored credentials of one account, per hash. */
export interface AccountCredentials {
  username: string;
  createdAt: Date;
  sha1: ScramCredentials;
  sha256: ScramCredentials;
  /** Absent for accounts created before SCRAM-SHA-512, until their password is next seen. */
  sha512?: ScramCredentials;
}

/** Credentials as they are written: every hash the server offers (`sha512` may lack only for accounts from before it). */
export interface NewCredentials {
  sha1: ScramCredentials;
  sha256: ScramCredentials;
  sha512?: ScramCredentials;
}

/** Thrown when creating an account whose username is taken. */
export class AccountExistsError extends Error {
  constructor(readonly username: string) {
    super(`account ${username} exists`);
    this.name = 'AccountExistsError';
  }
}

/** Thrown when creating an account whose username was deleted less than USERNAME_TOMBSTONE ago (answered like a taken name). */
export class UsernameTombstonedError extends AccountExistsError {
  constructor(username: string) {
    super(username);
    this.message = `username ${username} was deleted recently and cannot be registered yet`;
    this.name = 'UsernameTombstonedError';
  }
}

/** Publishes what the outbox holds (OutboxRelay in production). */
export interface EventOutbox {
  /** Publishes everything queued; never throws (a failure is logged, and retried later). */
  tryFlush(): Promise<void>;
}

/** How an account is created. */
export interface CreateOptions {
  /** Refuse the username when it has a tombstone from after this time. */
  tombstonedAfter?: Date;
  /** Queued in the outbox in the same transaction. */
  event?: EventEnvelope;
}

/** How an account is deleted. */
export interface DeleteOptions {
  /** Queued in the outbox in the same transaction (gateway.evt.account-deleted). */
  event: EventEnvelope;
  /** Keep the username as a tombstone. */
  tombstone: boolean;
}

/** The accounts port. */
export interface AccountsStore {
  find(username: string): Promise<AccountCredentials | undefined>;
  exists(username: string): Promise<boolean>;
  /** Throws AccountExistsError (UsernameTombstonedError for a tombstoned name). */
  create(username: string, creds: NewCredentials, opts?: CreateOptions): Promise<void>;
  setCredentials(username: string, creds: NewCredentials): Promise<boolean>;
  /** Adds SCRAM-SHA-512 keys to an account that has none (never replaces any); false when it had them or does not exist. */
  addSha512(username: string, creds: ScramCredentials): Promise<boolean>;
  /** Whether some account still lacks SCRAM-SHA-512 keys. */
  anyWithoutSha512(): Promise<boolean>;
  /** Deletes the account, its event and its tombstone in one transaction; false when it did not exist (nothing queued). */
  delete(username: string, opts: DeleteOptions): Promise<boolean>;
  /** Removes tombstones of deletions at or before `cutoff`. */
  sweepTombstones(cutoff: Date): Promise<{ deleted: number; oldestRemaining?: Date }>;
  list(opts?: { after?: string; limit?: number }): Promise<Array<{ username: string; createdAt: Date }>>;
  count(): Promise<number>;
}

/** Picks one hash's credentials (undefined: an older account without SHA-512 keys). */
export function credentialsFor(a: AccountCredentials, hash: ScramHash): ScramCredentials | undefined {
  return hash === 'sha1' ? a.sha1 : hash === 'sha256' ? a.sha256 : a.sha512;
}

function sha512Columns(c: ScramCredentials | undefined): Partial<AccountEntity> {
  return { sha512Salt: c?.salt ?? null, sha512Iterations: c?.iterations ?? null, sha512StoredKey: c?.storedKey ?? null, sha512ServerKey: c?.serverKey ?? null };
}

function toColumns(creds: NewCredentials): Partial<AccountEntity> {
  return {
    ...sha512Columns(creds.sha512),
    sha1Salt: creds.sha1.salt,
    sha1Iterations: creds.sha1.iterations,
    sha1StoredKey: creds.sha1.storedKey,
    sha1ServerKey: creds.sha1.serverKey,
    sha256Salt: creds.sha256.salt,
    sha256Iterations: creds.sha256.iterations,
    sha256StoredKey: creds.sha256.storedKey,
    sha256ServerKey: creds.sha256.serverKey,
  };
}

/** Most usernames in one lookup statement. */
const LOOKUP_BATCH = 200;

const distinct = (names: readonly string[]): string[] => [...new Set(names)];

/** Postgres implementation. */
export class TypeOrmAccountsStore implements AccountsStore {
  private readonly repo: Repository<AccountEntity>;
  constructor(private readonly ds: DataSource) {
    this.repo = ds.getRepository(AccountEntity);
  }

  // find and exists run on every login and for messages to offline users: plain SQL,
  // without the ORM's per-call query building, and the lookups of one event-loop turn
  // batched into one statement (a login storm paid a round trip to Postgres — a socket
  // write here and a query there — per login). Nothing is cached between batches: a
  // password change or a deletion is seen by the next lookup.
  private readonly credentials = serialBatches<string, AccountCredentials | undefined>((names) => this.findMany(names), LOOKUP_BATCH);
  private readonly existing = serialBatches<string, boolean>((names) => this.existMany(names), LOOKUP_BATCH);

  find(username: string): Promise<AccountCredentials | undefined> {
    return this.credentials.load(username);
  }

  exists(username: string): Promise<boolean> {
    return this.existing.load(username);
  }

  private async findMany(usernames: readonly string[]): Promise<Array<AccountCredentials | undefined>> {
    const rows: Array<Record<string, any>> = await this.ds.query(
      `SELECT username, created_at, sha1_salt, sha1_iterations, sha1_stored_key, sha1_server_key,
              sha256_salt, sha256_iterations, sha256_stored_key, sha256_server_key,
              sha512_salt, sha512_iterations, sha512_stored_key, sha512_server_key
         FROM accounts WHERE username = ANY($1::text[])`,
      [distinct(usernames)],
    );
    const found = new Map<string, AccountCredentials>();
    for (const a of rows) {
      found.set(a.username, {
        username: a.username,
        createdAt: a.created_at,
        sha1: { salt: a.sha1_salt, iterations: a.sha1_iterations, storedKey: a.sha1_stored_key, serverKey: a.sha1_server_key },
        sha256: { salt: a.sha256_salt, iterations: a.sha256_iterations, storedKey: a.sha256_stored_key, serverKey: a.sha256_server_key },
        ...(a.sha512_salt
          ? { sha512: { salt: a.sha512_salt, iterations: a.sha512_iterations, storedKey: a.sha512_stored_key, serverKey: a.sha512_server_key } }
          : {}),
      });
    }
    return usernames.map((u) => found.get(u));
  }

  private async existMany(usernames: readonly string[]): Promise<boolean[]> {
    const rows: Array<{ username: string }> = await this.ds.query('SELECT username FROM accounts WHERE username = ANY($1::text[])', [distinct(usernames)]);
    const found = new Set(rows.map((r) => r.username));
    return usernames.map((u) => found.has(u));
  }

  async create(username: string, creds: NewCredentials, opts: CreateOptions = {}): Promise<void> {
    await this.ds.transaction(async (m) => {
      if (opts.tombstonedAfter) {
        const t: unknown[] = await m.query('SELECT 1 FROM username_tombstones WHERE username = $1 AND deleted_at > $2', [username, opts.tombstonedAfter]);
        if (t.length) throw new UsernameTombstonedError(username);
      }
      const r = await m
        .getRepository(AccountEntity)
        .createQueryBuilder()
        .insert()
        .values({ username, ...toColumns(creds) })
        .orIgnore()
        .execute();
      if (!r.identifiers.length || r.raw.length === 0) throw new AccountExistsError(username);
      await m.query('DELETE FROM username_tombstones WHERE username = $1', [username]); // an expired one
      if (opts.event) await enqueueOutbox(m, opts.event);
    });
  }

  async setCredentials(username: string, creds: NewCredentials): Promise<boolean> {
    const r = await this.repo.update({ username }, toColumns(creds));
    return (r.affected ?? 0) > 0;
  }

  async addSha512(username: string, creds: ScramCredentials): Promise<boolean> {
    // TypeORM answers an UPDATE with [rows, affected]
    const [, affected] = (await this.ds.query(
      `UPDATE accounts SET sha512_salt = $2, sha512_iterations = $3, sha512_stored_key = $4, sha512_server_key = $5
        WHERE username = $1 AND sha512_salt IS NULL`,
      [username, creds.salt, creds.iterations, creds.storedKey, creds.serverKey],
    )) as [unknown[], number];
    return affected > 0;
  }

  async anyWithoutSha512(): Promise<boolean> {
    const rows: unknown[] = await this.ds.query('SELECT 1 FROM accounts WHERE sha512_salt IS NULL LIMIT 1');
    return rows.length > 0;
  }

  delete(username: string, opts: DeleteOptions): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const r = await m.getRepository(AccountEntity).delete({ username });
      if (!r.affected) return false;
      if (opts.tombstone) {
        await m.query(
          `INSERT INTO username_tombstones (username, deleted_at) VALUES ($1, now())
             ON CONFLICT (username) DO UPDATE SET deleted_at = EXCLUDED.deleted_at`,
          [username],
        );
      }
      await enqueueOutbox(m, opts.event);
      return true;
    });
  }

  async sweepTombstones(cutoff: Date): Promise<{ deleted: number; oldestRemaining?: Date }> {
    const [, deleted] = (await this.ds.query('DELETE FROM username_tombstones WHERE deleted_at <= $1', [cutoff])) as [unknown[], number];
    const rows: Array<{ oldest: Date | null }> = await this.ds.query('SELECT min(deleted_at) AS oldest FROM username_tombstones');
    return { deleted, oldestRemaining: rows[0]?.oldest ?? undefined };
  }

  async list(opts: { after?: string; limit?: number } = {}): Promise<Array<{ username: string; createdAt: Date }>> {
    const qb = this.repo.createQueryBuilder('a').select(['a.username', 'a.createdAt']).orderBy('a.username').limit(opts.limit ?? 1000);
    if (opts.after) qb.where('a.username > :after', { after: opts.after });
    const rows = await qb.getMany();
    return rows.map((r) => ({ username: r.username, createdAt: r.createdAt }));
  }

  count(): Promise<number> {
    return this.repo.count();
  }
}
