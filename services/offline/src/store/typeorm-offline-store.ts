// Postgres implementation of the offline store. Plain SQL: every statement here is
// about ordering, locking or counting, which reads better than a query builder.
import { enqueueOutbox } from '@parley/persistence';
import { DataSource, EntityManager } from 'typeorm';
import type { EventEnvelope, OfflineFailureReason } from '@parley/contracts';
import { decideStore } from '../domain/decide';
import type { HandOff } from '../domain/hand-off';
import { storability, type NotStorable } from '../domain/storable';
import { userHash } from '../domain/user-key';
import type { Cursor } from './cursor';
import { PER_MESSAGE_OVERHEAD, type AcceptOptions, type AcceptOutcome, type OfflineStore, type Page, type Refusal, type StoredMessage, type SweepCounts } from './offline-store';

/** Advisory-lock class of "one user's offline queue" (the second key is hashtext(user)). */
const USER_LOCK = 6121;
/** Rows deleted per statement by the sweep, so it never holds long locks. */
const SWEEP_BATCH = 5000;

interface MessageRow {
  seq: string;
  id: string;
  from_jid: string;
  message_type: string;
  stanza_id: string | null;
  stanza: string;
  arrived_at: Date;
}

function toMessage(r: MessageRow): StoredMessage {
  return {
    seq: r.seq,
    id: r.id,
    from: r.from_jid,
    type: r.message_type,
    stanzaId: r.stanza_id ?? undefined,
    arrivedAt: r.arrived_at,
    stanza: r.stanza,
  };
}

const unique = (ids: string[]): string[] => [...new Set(ids)];

export class TypeOrmOfflineStore implements OfflineStore {
  constructor(
    private readonly ds: DataSource,
    /** Called after a commit that put events in the outbox (the relay publishes them). */
    private readonly onEventsCommitted: () => Promise<void> = async () => undefined,
  ) {}

  private lockUser(em: EntityManager, user: string): Promise<unknown> {
    return em.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [USER_LOCK, user]);
  }

  accept(h: HandOff, o: AcceptOptions): Promise<AcceptOutcome> {
    return this.acceptMany([h], o).then((outcomes) => outcomes[0]);
  }

  /**
   * One transaction for the whole batch, five statements whatever its size: begin; lock
   * the recipients (in key order, so concurrent batches and replicas cannot deadlock);
   * read their receipts, erasure markers and pending counts at once; insert the stored
   * messages and every receipt in one statement; commit (plus one outbox row per refusal).
   */
  async acceptMany(hs: HandOff[], o: AcceptOptions): Promise<AcceptOutcome[]> {
    if (hs.length === 0) return [];
    let refusedNow = false;
    const outcomes = await this.ds.transaction(async (em): Promise<AcceptOutcome[]> => {
      const users = [...new Set(hs.map((h) => h.user))];
      // Serialises hand-offs, erasure and redeliveries of each user: the quota counts and
      // the receipt checks below cannot race with another batch or replica.
      await em.query(`SELECT pg_advisory_xact_lock(${USER_LOCK}, k) FROM (SELECT DISTINCT hashtext(u) AS k FROM unnest($1::text[]) AS u ORDER BY 1) AS locks`, [users]);
      const hashes = new Map(users.map((u) => [u, userHash(u)]));
      const facts: Array<{ k: 'r' | 'e' | 'c'; key: string; outcome: string | null; reason: string | null; detail: string | null; at: Date | null; n: number | null }> = await em.query(
        `SELECT 'r' AS k, id AS key, outcome, reason, detail, decided_at AS at, NULL::int AS n FROM hand_off_receipt WHERE id = ANY($1::text[])
         UNION ALL
         SELECT 'e', user_hash, NULL, NULL, NULL, erased_at, NULL FROM erased_account WHERE user_hash = ANY($2::text[])
         UNION ALL
         SELECT 'c', user_jid, NULL, NULL, NULL, NULL, n::int FROM offline_counts WHERE user_jid = ANY($3::text[])`,
        [unique(hs.map((h) => h.id)), [...hashes.values()], users],
      );
      const decided = new Map<string, AcceptOutcome>();
      const erasedAt = new Map<string, Date>();
      const pending = new Map<string, number>();
      for (const f of facts) {
        if (f.k === 'r')
          decided.set(
            f.key,
            f.outcome === 'stored'
              ? { kind: 'stored', duplicate: true }
              : { kind: 'refused', reason: f.reason as OfflineFailureReason, detail: (f.detail ?? undefined) as NotStorable | undefined, at: f.at!, duplicate: true },
          );
        else if (f.k === 'e') erasedAt.set(f.key, f.at!);
        else pending.set(f.key, f.n!);
      }
      const stored: HandOff[] = [];
      const receipts: Array<{ id: string; outcome: 'stored' | 'refused'; reason: string | null; detail: string | null }> = [];
      const refusals: EventEnvelope[] = [];
      const outcomes = hs.map((h): AcceptOutcome => {
        const seen = decided.get(h.id);
        if (seen) return { ...seen, duplicate: true };
        const decision = decideStore({
          storability: storability({ type: h.type, noStore: h.noStore, chatStateOnly: h.chatStateOnly, stanza: h.stanza }),
          arrivedAt: h.arrivedAt,
          accountErasedAt: erasedAt.get(hashes.get(h.user)!),
          pending: pending.get(h.user) ?? 0,
          quota: o.quota,
        });
        let outcome: AcceptOutcome;
        if (decision.kind === 'store') {
          stored.push(h);
          pending.set(h.user, (pending.get(h.user) ?? 0) + 1);
          receipts.push({ id: h.id, outcome: 'stored', reason: null, detail: null });
          outcome = { kind: 'stored', duplicate: false };
        } else {
          receipts.push({ id: h.id, outcome: 'refused', reason: decision.reason, detail: decision.detail ?? null });
          const refusal: Refusal = { kind: 'refused', reason: decision.reason, detail: decision.detail, at: o.now };
          refusals.push(o.refusalEvent(refusal, h));
          outcome = { ...refusal, duplicate: false };
        }
        decided.set(h.id, outcome);
        return outcome;
      });
      if (receipts.length) {
        // Rows go in in the batch's order (WITH ORDINALITY), so seq breaks arrival-time ties as before.
        await em.query(
          `WITH stored AS (
             INSERT INTO offline_message (id, user_jid, from_jid, message_type, stanza_id, stanza, arrived_at)
             SELECT id, user_jid, from_jid, message_type, stanza_id, stanza, arrived_at
               FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
                    WITH ORDINALITY AS m (id, user_jid, from_jid, message_type, stanza_id, stanza, arrived_at, ord)
              ORDER BY ord
             ON CONFLICT (id) DO NOTHING
             RETURNING 1
           )
           INSERT INTO hand_off_receipt (id, outcome, reason, detail, decided_at)
           SELECT id, outcome, reason, detail, $12::timestamptz FROM unnest($8::text[], $9::text[], $10::text[], $11::text[]) AS r (id, outcome, reason, detail)`,
          [
            stored.map((h) => h.id),
            stored.map((h) => h.user),
            stored.map((h) => h.from),
            stored.map((h) => h.type),
            stored.map((h) => h.stanzaId ?? null),
            stored.map((h) => h.stanza),
            stored.map((h) => h.arrivedAt),
            receipts.map((r) => r.id),
            receipts.map((r) => r.outcome),
            receipts.map((r) => r.reason),
            receipts.map((r) => r.detail),
            o.now,
          ],
        );
      }
      for (const event of refusals) await enqueueOutbox(em, event);
      refusedNow = refusals.length > 0;
      return outcomes;
    });
    if (refusedNow) await this.onEventsCommitted();
    return outcomes;
  }

  async page(user: string, o: { ids?: string[]; after?: Cursor; limit: number; maxBytes: number }): Promise<Page<StoredMessage>> {
    // the backlog in order: a range scan from the cursor (see pages)
    if (!o.ids) return (await this.pages([{ user, after: o.after }], o))[0];
    // Chosen messages only (XEP-0013 view): choose the page by stanza sizes first (octet_length
    // reads the TOAST header only), then read just those stanzas. A JSON-escaped stanza is at
    // most twice its size.
    const rows: Array<MessageRow & { total: number }> = await this.ds.query(
      `WITH ordered AS (
         SELECT seq,
                sum(2 * octet_length(stanza) + ${PER_MESSAGE_OVERHEAD}) OVER w AS running,
                row_number() OVER w AS rn,
                count(*) OVER () AS total
           FROM offline_message
          WHERE user_jid = $1
            AND ($2::timestamptz IS NULL OR (arrived_at, seq) > ($2::timestamptz, $3::bigint))
            AND id = ANY($4::text[])
         WINDOW w AS (ORDER BY arrived_at, seq)
       )
       SELECT m.seq::text AS seq, m.id, m.from_jid, m.message_type, m.stanza_id, m.stanza, m.arrived_at, o.total::int AS total
         FROM ordered o JOIN offline_message m ON m.seq = o.seq
        WHERE o.rn <= $5 AND (o.rn = 1 OR o.running <= $6)
        ORDER BY m.arrived_at, m.seq`,
      [user, o.after?.arrivedAt ?? null, o.after?.seq ?? '0', unique(o.ids), o.limit, o.maxBytes],
    );
    const items = rows.map(toMessage);
    const last = items[items.length - 1];
    const more = rows.length > 0 && rows.length < rows[0].total;
    return { items, next: more && last ? { arrivedAt: last.arrivedAt, seq: last.seq } : undefined };
  }

  async pages(requests: Array<{ user: string; after?: Cursor }>, o: { limit: number; maxBytes: number }): Promise<Array<Page<StoredMessage>>> {
    // Per request (the same user may come twice, with two cursors), an index range scan
    // from its cursor that reads no more rows than can fit: every message is budgeted at
    // least PER_MESSAGE_OVERHEAD, so a page never holds more than maxBytes / that + 1;
    // one row more tells whether the backlog goes on. A long backlog costs a page, not a scan.
    const cap = Math.max(1, Math.min(o.limit, Math.floor(o.maxBytes / PER_MESSAGE_OVERHEAD) + 1));
    const rows: Array<MessageRow & { i: number; avail: number }> = await this.ds.query(
      `WITH req AS (
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bigint[]) WITH ORDINALITY AS r (user_jid, after_at, after_seq, i)
       )
       SELECT r.i::int AS i, m.seq::text AS seq, m.id, m.from_jid, m.message_type, m.stanza_id, m.stanza, m.arrived_at, m.avail::int AS avail
         FROM req r
         CROSS JOIN LATERAL (
           SELECT x.*,
                  sum(2 * octet_length(x.stanza) + ${PER_MESSAGE_OVERHEAD}) OVER w AS running,
                  row_number() OVER w AS rn,
                  count(*) OVER () AS avail
             FROM (SELECT seq, id, from_jid, message_type, stanza_id, stanza, arrived_at
                     FROM offline_message
                    WHERE user_jid = r.user_jid
                      AND (arrived_at, seq) > (coalesce(r.after_at, '-infinity'::timestamptz), coalesce(r.after_seq, 0))
                    ORDER BY arrived_at, seq
                    LIMIT $4) x
           WINDOW w AS (ORDER BY x.arrived_at, x.seq)
         ) m
        WHERE m.rn <= $5 AND (m.rn = 1 OR m.running <= $6)
        ORDER BY r.i, m.arrived_at, m.seq`,
      [requests.map((r) => r.user), requests.map((r) => r.after?.arrivedAt ?? null), requests.map((r) => r.after?.seq ?? null), cap + 1, o.limit, o.maxBytes],
    );
    const pages: Array<Page<StoredMessage>> = requests.map(() => ({ items: [] }));
    const avail = new Array<number>(requests.length).fill(0);
    for (const r of rows) {
      pages[r.i - 1].items.push(toMessage(r));
      avail[r.i - 1] = r.avail;
    }
    pages.forEach((page, k) => {
      const last = page.items[page.items.length - 1];
      if (last && page.items.length < avail[k]) page.next = { arrivedAt: last.arrivedAt, seq: last.seq };
    });
    return pages;
  }

  async countExisting(user: string, ids: string[]): Promise<number> {
    const [{ n }]: Array<{ n: number }> = await this.ds.query(
      'SELECT count(*)::int AS n FROM offline_message WHERE user_jid = $1 AND id = ANY($2::text[])',
      [user, unique(ids)],
    );
    return n;
  }

  async count(user: string): Promise<number> {
    const [{ n }]: Array<{ n: number }> = await this.ds.query('SELECT coalesce((SELECT n::int FROM offline_counts WHERE user_jid = $1), 0) AS n', [user]);
    return n;
  }

  async headers(user: string, o: { after?: Cursor; limit: number }): Promise<Page<Omit<StoredMessage, 'stanza' | 'type' | 'stanzaId'>>> {
    const rows: Array<Pick<MessageRow, 'seq' | 'id' | 'from_jid' | 'arrived_at'>> = await this.ds.query(
      `SELECT seq::text AS seq, id, from_jid, arrived_at
         FROM offline_message
        WHERE user_jid = $1 AND ($2::timestamptz IS NULL OR (arrived_at, seq) > ($2::timestamptz, $3::bigint))
        ORDER BY arrived_at, seq
        LIMIT $4`,
      [user, o.after?.arrivedAt ?? null, o.after?.seq ?? '0', o.limit + 1],
    );
    const items = rows.slice(0, o.limit).map((r) => ({ seq: r.seq, id: r.id, from: r.from_jid, arrivedAt: r.arrived_at }));
    const last = items[items.length - 1];
    return { items, next: rows.length > o.limit && last ? { arrivedAt: last.arrivedAt, seq: last.seq } : undefined };
  }

  private async deleteWhere(em: EntityManager, where: string, params: unknown[]): Promise<number> {
    const [{ n }]: Array<{ n: number }> = await em.query(
      `WITH d AS (DELETE FROM offline_message WHERE ${where} RETURNING 1) SELECT count(*)::int AS n FROM d`,
      params,
    );
    return n;
  }

  deleteIds(user: string, ids: string[]): Promise<number> {
    return this.deleteWhere(this.ds.manager, 'user_jid = $1 AND id = ANY($2::text[])', [user, unique(ids)]);
  }

  async deleteExactly(user: string, ids: string[]): Promise<number | undefined> {
    const wanted = unique(ids);
    return this.ds.transaction(async (em) => {
      const n = await this.deleteWhere(em, 'user_jid = $1 AND id = ANY($2::text[])', [user, wanted]);
      if (n !== wanted.length) {
        // Rolls the partial delete back: XEP-0013 removal is all or nothing here.
        throw new MissingIds();
      }
      return n;
    }).catch((e: unknown) => {
      if (e instanceof MissingIds) return undefined;
      throw e;
    });
  }

  purge(user: string): Promise<number> {
    return this.deleteWhere(this.ds.manager, 'user_jid = $1', [user]);
  }

  async eraseAccount(user: string, erasedAt: Date): Promise<number> {
    return this.ds.transaction(async (em) => {
      await this.lockUser(em, user);
      const n = await this.deleteWhere(em, 'user_jid = $1', [user]);
      await em.query(
        `INSERT INTO erased_account (user_hash, erased_at) VALUES ($1, $2)
         ON CONFLICT (user_hash) DO UPDATE SET erased_at = GREATEST(erased_account.erased_at, EXCLUDED.erased_at)`,
        [userHash(user), erasedAt],
      );
      return n;
    });
  }

  async totals(): Promise<{ messages: number; users: number }> {
    const [r]: Array<{ messages: number; users: number }> = await this.ds.query('SELECT coalesce(sum(n), 0)::int AS messages, count(*)::int AS users FROM offline_counts');
    return r;
  }

  async sweep(o: { messagesBefore: Date; markersBefore: Date; swept: (counts: SweepCounts) => EventEnvelope }): Promise<SweepCounts> {
    const batched = async (sql: string, cutoff: Date): Promise<number> => {
      let total = 0;
      for (;;) {
        const [{ n }]: Array<{ n: number }> = await this.ds.query(sql, [cutoff, SWEEP_BATCH]);
        total += n;
        if (n < SWEEP_BATCH) return total;
      }
    };
    const messages = await batched(
      `WITH d AS (DELETE FROM offline_message WHERE seq IN (SELECT seq FROM offline_message WHERE arrived_at < $1 LIMIT $2) RETURNING 1)
       SELECT count(*)::int AS n FROM d`,
      o.messagesBefore,
    );
    const receipts = await batched(
      `WITH d AS (DELETE FROM hand_off_receipt WHERE id IN (SELECT id FROM hand_off_receipt WHERE decided_at < $1 LIMIT $2) RETURNING 1)
       SELECT count(*)::int AS n FROM d`,
      o.markersBefore,
    );
    const erased = await batched(
      `WITH d AS (DELETE FROM erased_account WHERE user_hash IN (SELECT user_hash FROM erased_account WHERE erased_at < $1 LIMIT $2) RETURNING 1)
       SELECT count(*)::int AS n FROM d`,
      o.markersBefore,
    );
    const [{ oldest }]: Array<{ oldest: Date | null }> = await this.ds.query('SELECT min(arrived_at) AS oldest FROM offline_message');
    const counts: SweepCounts = { messages, markers: receipts + erased, oldestRemaining: oldest ?? undefined };
    await enqueueOutbox(this.ds, o.swept(counts));
    await this.onEventsCommitted();
    return counts;
  }
}

class MissingIds extends Error {}
