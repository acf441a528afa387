// Accounts kept in memory, for in-process tests (the port of auth/accounts.store.ts).
import { AccountCredentials, AccountExistsError, AccountsStore, NewCredentials } from '../auth/accounts.store';
import type { ScramCredentials } from '../auth/sasl/scram';

export class MemoryAccountsStore implements AccountsStore {
  private readonly accounts = new Map<string, AccountCredentials>();

  async find(username: string): Promise<AccountCredentials | undefined> {
    return this.accounts.get(username);
  }

  async exists(username: string): Promise<boolean> {
    return this.accounts.has(username);
  }

  async create(username: string, creds: NewCredentials): Promise<void> {
    if (this.accounts.has(username)) throw new AccountExistsError(username);
    this.accounts.set(username, { username, createdAt: new Date(), ...creds });
  }

  async setCredentials(username: string, creds: NewCredentials): Promise<boolean> {
    const a = this.accounts.get(username);
    if (!a) return false;
    this.accounts.set(username, { username, createdAt: a.createdAt, ...creds });
    return true;
  }

  async addSha512(username: string, creds: ScramCredentials): Promise<boolean> {
    const a = this.accounts.get(username);
    if (!a || a.sha512) return false;
    this.accounts.set(username, { ...a, sha512: creds });
    return true;
  }

  async anyWithoutSha512(): Promise<boolean> {
    return [...this.accounts.values()].some((a) => !a.sha512);
  }

  async delete(username: string): Promise<boolean> {
    return this.accounts.delete(username);
  }

  async list(opts: { after?: string; limit?: number } = {}): Promise<Array<{ username: string; createdAt: Date }>> {
    return [...this.accounts.values()]
      .filter((a) => opts.after === undefined || a.username > opts.after)
      .sort((a, b) => (a.username < b.username ? -1 : 1))
      .slice(0, opts.limit ?? 100)
      .map((a) => ({ username: a.username, createdAt: a.createdAt }));
  }

  async count(): Promise<number> {
    return this.accounts.size;
  }
}
