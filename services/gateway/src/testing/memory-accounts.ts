// Accounts kept in memory, for in-process tests (the port of auth/accounts.store.ts).
import type { EventEnvelope } from '@parley/contracts';
import { AccountCredentials, AccountExistsError, AccountsStore, CreateOptions, DeleteOptions, EventOutbox, NewCredentials, UsernameTombstonedError } from '../auth/accounts.store';
import type { ScramCredentials } from '../auth/sasl/scram';
import type { ModuleBus } from '../host/module';

export class MemoryAccountsStore implements AccountsStore {
  private readonly accounts = new Map<string, AccountCredentials>();
  /** Username → deletion time. */
  readonly tombstones = new Map<string, Date>();
  /** Events committed with their change, not yet published. */
  readonly outbox: EventEnvelope[] = [];

  /** A relay publishing the outbox on `bus` (as OutboxRelay does from the table); failures keep the events. */
  relay(bus: Pick<ModuleBus, 'publishEvent'>): EventOutbox {
    return {
      tryFlush: async () => {
        while (this.outbox.length) {
          try {
            await bus.publishEvent(this.outbox[0]);
          } catch {
            return;
          }
          this.outbox.shift();
        }
      },
    };
  }

  async find(username: string): Promise<AccountCredentials | undefined> {
    return this.accounts.get(username);
  }

  async exists(username: string): Promise<boolean> {
    return this.accounts.has(username);
  }

  async create(username: string, creds: NewCredentials, opts: CreateOptions = {}): Promise<void> {
    const t = this.tombstones.get(username);
    if (t && opts.tombstonedAfter && t > opts.tombstonedAfter) throw new UsernameTombstonedError(username);
    if (this.accounts.has(username)) throw new AccountExistsError(username);
    this.accounts.set(username, { username, createdAt: new Date(), ...creds });
    this.tombstones.delete(username);
    if (opts.event) this.outbox.push(opts.event);
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

  async delete(username: string, opts: DeleteOptions): Promise<boolean> {
    if (!this.accounts.delete(username)) return false;
    if (opts.tombstone) this.tombstones.set(username, new Date());
    this.outbox.push(opts.event);
    return true;
  }

  async sweepTombstones(cutoff: Date): Promise<{ deleted: number; oldestRemaining?: Date }> {
    let deleted = 0;
    let oldest: Date | undefined;
    for (const [u, at] of this.tombstones) {
      if (at <= cutoff) {
        this.tombstones.delete(u);
        deleted += 1;
      } else if (!oldest || at < oldest) oldest = at;
    }
    return { deleted, oldestRemaining: oldest };
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
