import { openDataSource } from '@parley/persistence';
import { createTestDatabase, TestDatabase } from '@parley/testing-stack';
import type { DataSource } from 'typeorm';
import { deriveScramCredentials } from './sasl/scram';
import { AccountDeletedV1, envelope, EventEnvelope, GatewayEvents } from '@parley/contracts';
import type { Bus } from '@parley/nats';
import { OutboxRelay } from '@parley/persistence';
import { AccountExistsError, TypeOrmAccountsStore, UsernameTombstonedError } from './accounts.store';
import { AccountsService } from './accounts.service';
import { entities } from '../persistence/entities';
import { migrations } from '../persistence/migrations';

/** Hooks start services and create databases: slow on a loaded machine, so they get longer than jest's 5 s. */
const HOOK_TIMEOUT = 60_000;

describe('the accounts store on a real Postgres', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let store: TypeOrmAccountsStore;

  const creds = async (pw: string) => ({
    sha1: await deriveScramCredentials(pw, 'sha1'),
    sha256: await deriveScramCredentials(pw, 'sha256'),
  });

  beforeAll(async () => {
    db = await createTestDatabase('accounts');
    ds = await openDataSource({ url: db.url, entities, migrations });
    store = new TypeOrmAccountsStore(ds);
  }, HOOK_TIMEOUT);

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  }, HOOK_TIMEOUT);

  it('migrates an empty database cleanly', async () => {
    const rows = await ds.query(`SELECT to_regclass('accounts') AS t`);
    expect(rows[0].t).toBe('accounts');
  });

  it('creates an account and finds its SCRAM keys', async () => {
    const c = await creds('pencil pencil');
    await store.create('alice', c);
    const a = await store.find('alice');
    expect(a?.sha256.storedKey.equals(c.sha256.storedKey)).toBe(true);
    expect(a?.sha1.iterations).toBe(c.sha1.iterations);
    expect(await store.exists('alice')).toBe(true);
    expect(await store.find('nobody')).toBeUndefined();
    expect(await store.exists('nobody')).toBe(false);
  });

  it('refuses a second account with the same username', async () => {
    await expect(store.create('alice', await creds('other password'))).rejects.toBeInstanceOf(AccountExistsError);
  });

  it('replaces credentials and deletes accounts', async () => {
    const c = await creds('new password!');
    expect(await store.setCredentials('alice', c)).toBe(true);
    expect((await store.find('alice'))?.sha1.salt.equals(c.sha1.salt)).toBe(true);
    expect(await store.setCredentials('ghost', c)).toBe(false);
    const event = envelope<AccountDeletedV1>(GatewayEvents.accountDeleted, { jid: 'alice@localhost', reason: 'user' });
    expect(await store.delete('alice', { event, tombstone: false })).toBe(true);
    expect(await store.delete('alice', { event, tombstone: false })).toBe(false);
    await ds.query('DELETE FROM outbox');
    expect(await store.find('alice')).toBeUndefined();
  });

  it('lists accounts in pages', async () => {
    const c = await creds('pw pw pw pw');
    for (const u of ['u1', 'u2', 'u3']) await store.create(u, c);
    const first = await store.list({ limit: 2 });
    expect(first.map((a) => a.username)).toEqual(['u1', 'u2']);
    expect((await store.list({ after: 'u2', limit: 2 })).map((a) => a.username)).toEqual(['u3']);
    expect(await store.count()).toBe(3);
  });

  it('keeps SCRAM-SHA-512 keys, and adds them only to an account from before them', async () => {
    const c = await creds('pw pw pw pw');
    const sha512 = await deriveScramCredentials('pw pw pw pw', 'sha512');
    await store.create('modern', { ...c, sha512 });
    expect((await store.find('modern'))?.sha512?.storedKey.equals(sha512.storedKey)).toBe(true);
    expect(await store.addSha512('modern', await deriveScramCredentials('other', 'sha512'))).toBe(false); // never replaced

    await store.create('legacy', c); // as the migration leaves an older account
    expect((await store.find('legacy'))?.sha512).toBeUndefined();
    expect(await store.anyWithoutSha512()).toBe(true);
    expect(await store.addSha512('legacy', sha512)).toBe(true);
    expect((await store.find('legacy'))?.sha512?.serverKey.equals(sha512.serverKey)).toBe(true);
    for (const u of ['u1', 'u2', 'u3']) await store.setCredentials(u, { ...c, sha512 });
    expect(await store.anyWithoutSha512()).toBe(false);
    expect(await store.addSha512('ghost', sha512)).toBe(false);
    // the four columns are null together or not at all
    await expect(ds.query(`UPDATE accounts SET sha512_salt = NULL WHERE username = 'legacy'`)).rejects.toThrow();
  });

  it('deletes an account and queues its event in one transaction; a publish that fails is retried until it succeeds', async () => {
    await store.create('erin', await creds('pw pw pw pw'));
    let down = true;
    const published: Array<{ subject: string; event: EventEnvelope }> = [];
    const bus = {
      publishEvent: async (event: EventEnvelope, subject: string) => {
        if (down) throw new Error('NATS is down');
        published.push({ subject, event });
      },
    } as unknown as Bus;
    const warnings: string[] = [];
    const relay = new OutboxRelay(ds, bus, { warn: (_o, msg) => void warnings.push(msg ?? '') });
    const accounts = new AccountsService(store, relay, { domain: 'localhost', iterations: 4096, tombstoneMs: 60_000 });

    expect(await accounts.delete('erin', 'inactivity')).toBe(true); // NATS down: the deletion stands, its event waits
    expect(await store.exists('erin')).toBe(false);
    expect(warnings).toEqual(['outbox publish failed; will retry']);
    const queued: Array<{ subject: string; envelope: EventEnvelope<AccountDeletedV1> }> = await ds.query('SELECT subject, envelope FROM outbox');
    expect(queued).toEqual([{ subject: GatewayEvents.accountDeleted, envelope: expect.objectContaining({ data: { jid: 'erin@localhost', reason: 'inactivity' } }) }]);

    down = false;
    await relay.tryFlush(); // the gateway's timer, or the next deletion
    expect(published).toEqual([{ subject: GatewayEvents.accountDeleted, event: expect.objectContaining({ id: queued[0].envelope.id, data: { jid: 'erin@localhost', reason: 'inactivity' } }) }]);
    expect(await ds.query('SELECT * FROM outbox')).toEqual([]);
  });

  it('keeps a deleted username as a tombstone (name and time only) that refuses it until it expires and is swept', async () => {
    const c = await creds('pw pw pw pw');
    await store.create('frank', c);
    const event = envelope<AccountDeletedV1>(GatewayEvents.accountDeleted, { jid: 'frank@localhost', reason: 'user' });
    expect(await store.delete('frank', { event, tombstone: true })).toBe(true);
    const rows = await ds.query(`SELECT * FROM username_tombstones WHERE username = 'frank'`);
    expect(Object.keys(rows[0]).sort()).toEqual(['deleted_at', 'username']);
    await expect(store.create('frank', c, { tombstonedAfter: new Date(Date.now() - 60_000) })).rejects.toBeInstanceOf(UsernameTombstonedError);
    // a tombstone older than the window no longer refuses the name; re-registering clears it
    await ds.query(`UPDATE username_tombstones SET deleted_at = now() - interval '2 minutes' WHERE username = 'frank'`);
    await store.create('grace', c);
    await store.delete('grace', { event, tombstone: true });
    expect(await store.sweepTombstones(new Date(Date.now() - 60_000))).toEqual({ deleted: 1, oldestRemaining: expect.any(Date) });
    expect((await ds.query('SELECT username FROM username_tombstones ORDER BY username')).map((r: { username: string }) => r.username)).toEqual(['erin', 'grace']);
    await store.create('frank', c, { tombstonedAfter: new Date(Date.now() - 60_000) });
    expect(await store.exists('frank')).toBe(true);
    await ds.query('DELETE FROM outbox');
  });

  it('answers the lookups of one event-loop turn with one statement each, every caller its own account, and caches nothing', async () => {
    const [b, c] = [await creds('bob secret'), await creds('carol secret')];
    await store.create('bob', b);
    await store.create('carol', c);
    const query = jest.spyOn(ds, 'query');
    try {
      const [found, existing] = await Promise.all([
        Promise.all(['bob', 'nobody', 'carol', 'bob'].map((u) => store.find(u))),
        Promise.all(['carol', 'nobody', 'bob'].map((u) => store.exists(u))),
      ]);
      expect(found.map((a) => a?.username)).toEqual(['bob', undefined, 'carol', 'bob']);
      expect(found[0]?.sha1.storedKey.equals(b.sha1.storedKey)).toBe(true);
      expect(found[2]?.sha256.serverKey.equals(c.sha256.serverKey)).toBe(true);
      expect(existing).toEqual([true, false, true]);
      expect(query).toHaveBeenCalledTimes(2);
      // The next turn reads again: a password changed in between is seen at once.
      const changed = await creds('bob changed');
      await store.setCredentials('bob', changed);
      expect((await store.find('bob'))?.sha1.salt.equals(changed.sha1.salt)).toBe(true);
      await store.delete('carol', { event: envelope<AccountDeletedV1>(GatewayEvents.accountDeleted, { jid: 'carol@localhost', reason: 'user' }), tombstone: false });
      await ds.query('DELETE FROM outbox');
      expect(await store.find('carol')).toBeUndefined();
      expect(await store.exists('carol')).toBe(false);
    } finally {
      query.mockRestore();
    }
  });
});
