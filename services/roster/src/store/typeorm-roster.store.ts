// Postgres implementation of the roster store. Each user's writes are serialised
// by a row lock on roster_version; events go to the outbox in the same transaction.
import { DataSource, EntityManager } from 'typeorm';
import { envelope, EventEnvelope, RosterEvents, RosterItemUpdatedV1, RosterPushItem } from '@parley/contracts';
import { enqueueOutbox } from '@parley/persistence';
import type { RosterEntry } from '../domain/roster-entry';
import type { LoggedChange } from '../domain/versioning';
import type { RosterSnapshot, RosterStore, UserTransaction } from './roster.store';

interface ItemRow {
  contact: string;
  in_roster: boolean;
  name: string | null;
  groups: string[];
  subscription: RosterEntry['subscription'];
  pending_out: boolean;
  pending_in: boolean;
  pending_in_status: string | null;
  pending_in_stanza: string | null;
  approved: boolean;
}

const ITEM_COLUMNS = 'contact, in_roster, name, groups, subscription, pending_out, pending_in, pending_in_status, approved, pending_in_stanza';

function toEntry(r: ItemRow): RosterEntry {
  const e: RosterEntry = {
    contact: r.contact,
    inRoster: r.in_roster,
    groups: r.groups ?? [],
    subscription: r.subscription,
    pendingOut: r.pending_out,
    pendingIn: r.pending_in,
    approved: r.approved,
  };
  if (r.name !== null) e.name = r.name;
  if (r.pending_in_status !== null) e.pendingInStatus = r.pending_in_status;
  if (r.pending_in_stanza !== null) e.pendingInStanza = r.pending_in_stanza;
  return e;
}

/** Called after a commit that queued events. */
export type OnEventsCommitted = () => void | Promise<void>;

class PgUserTransaction implements UserTransaction {
  queued = 0;
  private ver: number;

  constructor(
    private readonly m: EntityManager,
    readonly owner: string,
    readonly startVer: number,
    private readonly changeLogSize: number,
  ) {
    this.ver = startVer;
  }

  async entry(contact: string): Promise<RosterEntry | undefined> {
    const rows: ItemRow[] = await this.m.query(`SELECT ${ITEM_COLUMNS} FROM roster_item WHERE owner = $1 AND contact = $2`, [this.owner, contact]);
    return rows[0] ? toEntry(rows[0]) : undefined;
  }

  async entries(): Promise<RosterEntry[]> {
    const rows: ItemRow[] = await this.m.query(`SELECT ${ITEM_COLUMNS} FROM roster_item WHERE owner = $1 ORDER BY contact`, [this.owner]);
    return rows.map(toEntry);
  }

  async countInRoster(): Promise<number> {
    const [r] = await this.m.query('SELECT count(*)::int AS n FROM roster_item WHERE owner = $1 AND in_roster', [this.owner]);
    return r.n;
  }

  async countHiddenPending(): Promise<number> {
    const [r] = await this.m.query('SELECT count(*)::int AS n FROM roster_item WHERE owner = $1 AND NOT in_roster', [this.owner]);
    return r.n;
  }

  async save(e: RosterEntry): Promise<void> {
    await this.m.query(
      `INSERT INTO roster_item (owner, ${ITEM_COLUMNS}, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
       ON CONFLICT (owner, contact) DO UPDATE SET
         in_roster = EXCLUDED.in_roster, name = EXCLUDED.name, groups = EXCLUDED.groups,
         subscription = EXCLUDED.subscription, pending_out = EXCLUDED.pending_out,
         pending_in = EXCLUDED.pending_in, pending_in_status = EXCLUDED.pending_in_status,
         approved = EXCLUDED.approved, pending_in_stanza = EXCLUDED.pending_in_stanza, updated_at = now()`,
      [
        this.owner,
        e.contact,
        e.inRoster,
        e.name ?? null,
        e.groups,
        e.subscription,
        e.pendingOut,
        e.pendingIn,
        e.pendingIn ? (e.pendingInStatus ?? null) : null,
        e.approved,
        e.pendingIn ? (e.pendingInStanza ?? null) : null,
      ],
    );
  }

  async remove(contact: string): Promise<void> {
    await this.m.query('DELETE FROM roster_item WHERE owner = $1 AND contact = $2', [this.owner, contact]);
  }

  async recordPush(item: RosterPushItem, cause: RosterItemUpdatedV1['cause'], presence?: string): Promise<number> {
    this.ver += 1;
    const ver = this.ver;
    await this.m.query('UPDATE roster_version SET ver = $2 WHERE owner = $1', [this.owner, ver]);
    await this.m.query('INSERT INTO roster_change (owner, ver, contact, item) VALUES ($1, $2, $3, $4)', [this.owner, ver, item.jid, JSON.stringify(item)]);
    await this.m.query('DELETE FROM roster_change WHERE owner = $1 AND ver <= $2', [this.owner, ver - this.changeLogSize]);
    await this.emit(envelope<RosterItemUpdatedV1>(RosterEvents.itemUpdated, { user: this.owner, item, ver: String(ver), cause, ...(presence !== undefined ? { presence } : {}) }));
    return ver;
  }

  async redactChanges(contact: string): Promise<void> {
    const removed: RosterPushItem = { jid: contact, subscription: 'remove' };
    await this.m.query('UPDATE roster_change SET item = $3 WHERE owner = $1 AND contact = $2', [this.owner, contact, JSON.stringify(removed)]);
  }

  async blocked(): Promise<string[]> {
    const rows: Array<{ jid: string }> = await this.m.query('SELECT jid FROM blocked_jid WHERE owner = $1 ORDER BY jid', [this.owner]);
    return rows.map((r) => r.jid);
  }

  async addBlocked(jids: string[]): Promise<string[]> {
    if (!jids.length) return [];
    const rows: Array<{ jid: string }> = await this.m.query(
      `INSERT INTO blocked_jid (owner, jid) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING jid`,
      [this.owner, jids],
    );
    return rows.map((r) => r.jid).sort();
  }

  async removeBlocked(jids: string[]): Promise<string[]> {
    if (!jids.length) return [];
    // (a CTE, so that the driver returns the rows of a DELETE like those of a SELECT)
    const rows: Array<{ jid: string }> = await this.m.query(
      'WITH d AS (DELETE FROM blocked_jid WHERE owner = $1 AND jid = ANY($2::text[]) RETURNING jid) SELECT jid FROM d',
      [this.owner, jids],
    );
    return rows.map((r) => r.jid).sort();
  }

  async clearBlocked(): Promise<string[]> {
    const rows: Array<{ jid: string }> = await this.m.query('WITH d AS (DELETE FROM blocked_jid WHERE owner = $1 RETURNING jid) SELECT jid FROM d', [
      this.owner,
    ]);
    return rows.map((r) => r.jid).sort();
  }

  async eraseAll(): Promise<void> {
    await this.m.query('DELETE FROM roster_item WHERE owner = $1', [this.owner]);
    await this.m.query('DELETE FROM roster_change WHERE owner = $1', [this.owner]);
    await this.m.query('DELETE FROM blocked_jid WHERE owner = $1', [this.owner]);
    await this.m.query('DELETE FROM roster_version WHERE owner = $1', [this.owner]);
  }

  async emit(event: EventEnvelope): Promise<void> {
    await enqueueOutbox(this.m, event);
    this.queued += 1;
  }
}

/** The Postgres roster store. */
export class TypeOrmRosterStore implements RosterStore {
  constructor(
    private readonly ds: DataSource,
    private readonly opts: { changeLogSize: number; onEventsCommitted?: OnEventsCommitted },
  ) {}

  private async version(m: EntityManager, owner: string): Promise<number> {
    const rows: Array<{ ver: string }> = await m.query('SELECT ver FROM roster_version WHERE owner = $1', [owner]);
    return rows[0] ? Number(rows[0].ver) : 0;
  }

  snapshot(owner: string): Promise<RosterSnapshot> {
    return this.ds.transaction('REPEATABLE READ', async (m) => {
      const ver = await this.version(m, owner);
      const rows: ItemRow[] = await m.query(`SELECT ${ITEM_COLUMNS} FROM roster_item WHERE owner = $1 ORDER BY contact`, [owner]);
      const blocked: Array<{ jid: string }> = await m.query('SELECT jid FROM blocked_jid WHERE owner = $1 ORDER BY jid', [owner]);
      return { ver, entries: rows.map(toEntry), blocked: blocked.map((b) => b.jid) };
    });
  }

  snapshots(owners: string[]): Promise<Map<string, RosterSnapshot>> {
    return this.ds.transaction('REPEATABLE READ', async (m) => {
      const out = new Map<string, RosterSnapshot>(owners.map((o) => [o, { ver: 0, entries: [], blocked: [] }]));
      const vers: Array<{ owner: string; ver: string }> = await m.query('SELECT owner, ver FROM roster_version WHERE owner = ANY($1::text[])', [owners]);
      for (const v of vers) out.get(v.owner)!.ver = Number(v.ver);
      const rows: Array<ItemRow & { owner: string }> = await m.query(`SELECT owner, ${ITEM_COLUMNS} FROM roster_item WHERE owner = ANY($1::text[]) ORDER BY owner, contact`, [owners]);
      for (const r of rows) out.get(r.owner)!.entries.push(toEntry(r));
      const blocked: Array<{ owner: string; jid: string }> = await m.query('SELECT owner, jid FROM blocked_jid WHERE owner = ANY($1::text[]) ORDER BY owner, jid', [owners]);
      for (const b of blocked) out.get(b.owner)!.blocked.push(b.jid);
      return out;
    });
  }

  changesSince(owner: string, since: number): Promise<{ ver: number; changes: Array<LoggedChange<RosterPushItem>> }> {
    return this.ds.transaction('REPEATABLE READ', async (m) => {
      const ver = await this.version(m, owner);
      const rows: Array<{ ver: string; contact: string; item: RosterPushItem }> = await m.query(
        'SELECT ver, contact, item FROM roster_change WHERE owner = $1 AND ver > $2 ORDER BY ver',
        [owner, since],
      );
      return { ver, changes: rows.map((r) => ({ ver: Number(r.ver), contact: r.contact, item: r.item })) };
    });
  }

  roster(owner: string): Promise<{ ver: number; entries: RosterEntry[] }> {
    return this.ds.transaction('REPEATABLE READ', async (m) => {
      const ver = await this.version(m, owner);
      const rows: ItemRow[] = await m.query(`SELECT ${ITEM_COLUMNS} FROM roster_item WHERE owner = $1 AND in_roster ORDER BY contact`, [owner]);
      return { ver, entries: rows.map(toEntry) };
    });
  }

  async blocked(owner: string): Promise<string[]> {
    const rows: Array<{ jid: string }> = await this.ds.query('SELECT jid FROM blocked_jid WHERE owner = $1 ORDER BY jid', [owner]);
    return rows.map((r) => r.jid);
  }

  async blockedOf(owners: string[]): Promise<Map<string, string[]>> {
    const rows: Array<{ owner: string; jid: string }> = await this.ds.query('SELECT owner, jid FROM blocked_jid WHERE owner = ANY($1::text[]) ORDER BY owner, jid', [owners]);
    const lists = new Map<string, string[]>();
    for (const r of rows) {
      const list = lists.get(r.owner);
      if (list) list.push(r.jid);
      else lists.set(r.owner, [r.jid]);
    }
    return lists;
  }

  async entriesOfContact(bareJid: string): Promise<Array<{ owner: string; contact: string }>> {
    return this.ds.query(`SELECT owner, contact FROM roster_item WHERE split_part(contact, '/', 1) = $1 ORDER BY owner, contact`, [bareJid]);
  }

  async transact<T>(owner: string, work: (tx: UserTransaction) => Promise<T>): Promise<T> {
    let queued = 0;
    const result = await this.ds.transaction(async (m) => {
      // Creates the version row if needed and locks it: one writer per user at a time.
      // A new row starts at the current time in milliseconds, so that versions of a
      // deleted and re-created account never repeat those a client may have cached.
      const [row]: Array<{ ver: string }> = await m.query(
        `INSERT INTO roster_version (owner, ver) VALUES ($1, $2)
         ON CONFLICT (owner) DO UPDATE SET ver = roster_version.ver RETURNING ver`,
        [owner, Date.now()],
      );
      const tx = new PgUserTransaction(m, owner, Number(row.ver), this.opts.changeLogSize);
      const out = await work(tx);
      queued = tx.queued;
      return out;
    });
    if (queued && this.opts.onEventsCommitted) await this.opts.onEventsCommitted();
    return result;
  }
}
