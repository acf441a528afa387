// Accounts: a port and its TypeORM implementation. Only SCRAM keys are stored.
import { DataSource, Repository } from 'typeorm';
import type { ScramCredentials, ScramHash } from '../stream/sasl/scram';
import { AccountEntity } from './entities/account.entity';

/** Stored credentials of one account, per hash. */
export interface AccountCredentials {
  username: string;
  createdAt: Date;
  sha1: ScramCredentials;
  sha256: ScramCredentials;
}

/** Thrown when creating an account whose username is taken. */
export class AccountExistsError extends Error {
  constructor(readonly username: string) {
    super(`account ${username} exists`);
    this.name = 'AccountExistsError';
  }
}

/** The accounts port. */
export interface AccountsStore {
  find(username: string): Promise<AccountCredentials | undefined>;
  exists(username: string): Promise<boolean>;
  create(username: string, creds: { sha1: ScramCredentials; sha256: ScramCredentials }): Promise<void>;
  setCredentials(username: string, creds: { sha1: ScramCredentials; sha256: ScramCredentials }): Promise<boolean>;
  delete(username: string): Promise<boolean>;
  list(opts?: { after?: string; limit?: number }): Promise<Array<{ username: string; createdAt: Date }>>;
  count(): Promise<number>;
}

/** Picks one hash's credentials. */
export function credentialsFor(a: AccountCredentials, hash: ScramHash): ScramCredentials {
  return hash === 'sha1' ? a.sha1 : a.sha256;
}

function toColumns(creds: { sha1: ScramCredentials; sha256: ScramCredentials }): Partial<AccountEntity> {
  return {
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

/** Postgres implementation. */
export class TypeOrmAccountsStore implements AccountsStore {
  private readonly repo: Repository<AccountEntity>;
  constructor(ds: DataSource) {
    this.repo = ds.getRepository(AccountEntity);
  }

  async find(username: string): Promise<AccountCredentials | undefined> {
    const a = await this.repo.findOneBy({ username });
    if (!a) return undefined;
    return {
      username: a.username,
      createdAt: a.createdAt,
      sha1: { salt: a.sha1Salt, iterations: a.sha1Iterations, storedKey: a.sha1StoredKey, serverKey: a.sha1ServerKey },
      sha256: { salt: a.sha256Salt, iterations: a.sha256Iterations, storedKey: a.sha256StoredKey, serverKey: a.sha256ServerKey },
    };
  }

  async exists(username: string): Promise<boolean> {
    return this.repo.exists({ where: { username } });
  }

  async create(username: string, creds: { sha1: ScramCredentials; sha256: ScramCredentials }): Promise<void> {
    const r = await this.repo
      .createQueryBuilder()
      .insert()
      .values({ username, ...toColumns(creds) })
      .orIgnore()
      .execute();
    if (!r.identifiers.length || r.raw.length === 0) throw new AccountExistsError(username);
  }

  async setCredentials(username: string, creds: { sha1: ScramCredentials; sha256: ScramCredentials }): Promise<boolean> {
    const r = await this.repo.update({ username }, toColumns(creds));
    return (r.affected ?? 0) > 0;
  }

  async delete(username: string): Promise<boolean> {
    const r = await this.repo.delete({ username });
    return (r.affected ?? 0) > 0;
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
