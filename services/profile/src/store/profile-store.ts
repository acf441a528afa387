// Postgres store of the profile service: hand-written SQL over the tables of the
// migration. Every write of one request runs in one transaction.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PepAccessModel, PepItemV1, PepNodeConfig, PepRefusal } from '@parley/contracts';
import { DataSource, EntityManager } from 'typeorm';

interface NodeRow {
  node: string;
  access_model: PepAccessModel;
  max_items: number;
  persist_items: boolean;
  send_last: PepNodeConfig['sendLast'];
  roster_groups: string[];
}

const toConfig = (r: NodeRow): PepNodeConfig => ({
  accessModel: r.access_model,
  maxItems: r.max_items,
  persistItems: r.persist_items,
  sendLast: r.send_last,
  rosterGroups: r.roster_groups ?? [],
});

const toItem = (r: { item_id: string; payload: string | null }): PepItemV1 => (r.payload === null ? { id: r.item_id } : { id: r.item_id, payload: r.payload });

/** Runs a DELETE or UPDATE and returns how many rows it touched. */
async function count(q: { query: DataSource['query'] }, del: string, params: unknown[]): Promise<number> {
  const rows: Array<{ n: number }> = await q.query(`WITH d AS (${del} RETURNING 1) SELECT count(*)::int AS n FROM d`, params);
  return rows[0].n;
}

/** What a user's erasure removed. */
export interface Erased {
  vcards: number;
  privateXml: number;
  nodes: number;
}

@Injectable()
export class ProfileStore {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  // ---- vCard ----

  async getVCard(owner: string): Promise<{ xml: string; photoHash: string } | undefined> {
    const rows = await this.ds.query(`SELECT xml, photo_hash FROM vcards WHERE owner = $1`, [owner]);
    return rows[0] ? { xml: rows[0].xml, photoHash: rows[0].photo_hash } : undefined;
  }

  async setVCard(owner: string, xml: string, photoHash: string): Promise<void> {
    await this.ds.query(
      `INSERT INTO vcards (owner, xml, photo_hash) VALUES ($1, $2, $3)
       ON CONFLICT (owner) DO UPDATE SET xml = EXCLUDED.xml, photo_hash = EXCLUDED.photo_hash, updated_at = now()`,
      [owner, xml, photoHash],
    );
  }

  // ---- private XML ----

  async getPrivate(owner: string, ns: string): Promise<string | undefined> {
    const rows = await this.ds.query(`SELECT xml FROM private_xml WHERE owner = $1 AND ns = $2`, [owner, ns]);
    return rows[0]?.xml;
  }

  /** Stores every item, or nothing when the user would hold more than `maxNamespaces` namespaces. */
  async setPrivate(owner: string, items: Array<{ ns: string; xml: string }>, maxNamespaces: number): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`private:${owner}`]);
      const existing: Array<{ ns: string }> = await m.query(`SELECT ns FROM private_xml WHERE owner = $1`, [owner]);
      const all = new Set([...existing.map((r) => r.ns), ...items.map((i) => i.ns)]);
      if (all.size > maxNamespaces) return false;
      for (const i of items) {
        await m.query(
          `INSERT INTO private_xml (owner, ns, xml) VALUES ($1, $2, $3)
           ON CONFLICT (owner, ns) DO UPDATE SET xml = EXCLUDED.xml, updated_at = now()`,
          [owner, i.ns, i.xml],
        );
      }
      return true;
    });
  }

  // ---- PEP ----

  async node(owner: string, node: string): Promise<PepNodeConfig | undefined> {
    const rows: NodeRow[] = await this.ds.query(`SELECT * FROM pep_nodes WHERE owner = $1 AND node = $2`, [owner, node]);
    return rows[0] ? toConfig(rows[0]) : undefined;
  }

  async nodes(owner: string): Promise<Array<{ node: string; config: PepNodeConfig }>> {
    const rows: NodeRow[] = await this.ds.query(`SELECT * FROM pep_nodes WHERE owner = $1 ORDER BY node`, [owner]);
    return rows.map((r) => ({ node: r.node, config: toConfig(r) }));
  }

  /**
   * Publishes one item: `decide` sees the node's configuration (undefined when it does
   * not exist) and returns the configuration to use (a new node is created with it) or
   * a refusal. Items beyond the node's max_items (1 when not persistent) are dropped,
   * oldest first. Runs under the node's row lock, so concurrent publishes serialise.
   */
  async publish(
    owner: string,
    node: string,
    item: { id: string; payload?: string },
    maxNodes: number,
    decide: (existing: PepNodeConfig | undefined) => { config: PepNodeConfig } | { refusal: PepRefusal },
  ): Promise<{ config: PepNodeConfig } | { refusal: PepRefusal }> {
    return this.ds.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`pep:${owner}`]);
      const rows: NodeRow[] = await m.query(`SELECT * FROM pep_nodes WHERE owner = $1 AND node = $2 FOR UPDATE`, [owner, node]);
      const existing = rows[0] ? toConfig(rows[0]) : undefined;
      const d = decide(existing);
      if ('refusal' in d) return d;
      if (!existing) {
        const [{ n }] = await m.query(`SELECT count(*)::int AS n FROM pep_nodes WHERE owner = $1`, [owner]);
        if (n >= maxNodes) return { refusal: { condition: 'resource-constraint', type: 'wait', text: `an account has at most ${maxNodes} PEP nodes` } satisfies PepRefusal };
        await this.insertNode(m, owner, node, d.config);
      }
      await m.query(`DELETE FROM pep_items WHERE owner = $1 AND node = $2 AND item_id = $3`, [owner, node, item.id]);
      await m.query(`INSERT INTO pep_items (owner, node, item_id, payload) VALUES ($1, $2, $3, $4)`, [owner, node, item.id, item.payload ?? null]);
      const keep = d.config.persistItems ? d.config.maxItems : 1;
      await m.query(
        `DELETE FROM pep_items WHERE owner = $1 AND node = $2 AND seq NOT IN (
           SELECT seq FROM pep_items WHERE owner = $1 AND node = $2 ORDER BY seq DESC LIMIT $3)`,
        [owner, node, keep],
      );
      return { config: d.config };
    });
  }

  private async insertNode(m: EntityManager, owner: string, node: string, c: PepNodeConfig): Promise<void> {
    await m.query(
      `INSERT INTO pep_nodes (owner, node, access_model, max_items, persist_items, send_last, roster_groups) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [owner, node, c.accessModel, c.maxItems, c.persistItems, c.sendLast, c.rosterGroups],
    );
  }

  /** Replaces a node's configuration; items beyond its new max_items are dropped. False when it does not exist. */
  async configure(owner: string, node: string, c: PepNodeConfig): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const n = await count(
        m,
        `UPDATE pep_nodes SET access_model = $3, max_items = $4, persist_items = $5, send_last = $6, roster_groups = $7 WHERE owner = $1 AND node = $2`,
        [owner, node, c.accessModel, c.maxItems, c.persistItems, c.sendLast, c.rosterGroups],
      );
      if (!n) return false;
      await m.query(
        `DELETE FROM pep_items WHERE owner = $1 AND node = $2 AND seq NOT IN (
           SELECT seq FROM pep_items WHERE owner = $1 AND node = $2 ORDER BY seq DESC LIMIT $3)`,
        [owner, node, c.persistItems ? c.maxItems : 1],
      );
      return true;
    });
  }

  /** Removes one item; false when the node or item does not exist. */
  async retract(owner: string, node: string, id: string): Promise<boolean> {
    return (await count(this.ds, `DELETE FROM pep_items WHERE owner = $1 AND node = $2 AND item_id = $3`, [owner, node, id])) > 0;
  }

  /** Deletes a node with its items; false when it does not exist. */
  async deleteNode(owner: string, node: string): Promise<boolean> {
    return (await count(this.ds, `DELETE FROM pep_nodes WHERE owner = $1 AND node = $2`, [owner, node])) > 0;
  }

  /** Items of a node, newest first: the ones named, or the newest `max`. */
  async items(owner: string, node: string, ids: string[] | undefined, max: number): Promise<PepItemV1[]> {
    const rows = ids
      ? await this.ds.query(`SELECT item_id, payload FROM pep_items WHERE owner = $1 AND node = $2 AND item_id = ANY($3) ORDER BY seq DESC`, [owner, node, ids])
      : await this.ds.query(`SELECT item_id, payload FROM pep_items WHERE owner = $1 AND node = $2 ORDER BY seq DESC LIMIT $3`, [owner, node, max]);
    return rows.map(toItem);
  }

  /** The newest item of each of `nodes` of each of `owners`, with the node's configuration, oldest first. */
  async lastItems(owners: string[], nodes: string[]): Promise<Array<{ owner: string; node: string; config: PepNodeConfig; item: PepItemV1 }>> {
    if (!owners.length || !nodes.length) return [];
    const rows: Array<NodeRow & { owner: string; item_id: string; payload: string | null; seq: string }> = await this.ds.query(
      `SELECT n.*, i.item_id, i.payload, i.seq FROM pep_nodes n
       CROSS JOIN LATERAL (SELECT item_id, payload, seq FROM pep_items WHERE owner = n.owner AND node = n.node ORDER BY seq DESC LIMIT 1) i
       WHERE n.owner = ANY($1) AND n.node = ANY($2) AND n.send_last <> 'never'
       ORDER BY i.seq`,
      [owners, nodes],
    );
    return rows.map((r) => ({ owner: r.owner, node: r.node, config: toConfig(r), item: toItem(r) }));
  }

  /** Everything kept about `owner` (data export). */
  async export(owner: string): Promise<{ vcard?: string; private: Array<{ ns: string; xml: string }>; nodes: Array<{ node: string; config: PepNodeConfig; items: PepItemV1[] }> }> {
    const v = await this.getVCard(owner);
    const priv: Array<{ ns: string; xml: string }> = await this.ds.query(`SELECT ns, xml FROM private_xml WHERE owner = $1 ORDER BY ns`, [owner]);
    const nodes = [];
    for (const n of await this.nodes(owner)) {
      const rows = await this.ds.query(`SELECT item_id, payload FROM pep_items WHERE owner = $1 AND node = $2 ORDER BY seq`, [owner, n.node]);
      nodes.push({ ...n, items: rows.map(toItem) });
    }
    return { ...(v ? { vcard: v.xml } : {}), private: priv.map((r) => ({ ns: r.ns, xml: r.xml })), nodes };
  }

  // ---- caps ----

  async getCaps(key: string): Promise<string[] | undefined> {
    const rows = await this.ds.query(`WITH u AS (UPDATE caps_cache SET seen_at = now() WHERE key = $1 RETURNING features) SELECT features FROM u`, [key]);
    return rows[0]?.features;
  }

  async putCaps(key: string, features: string[], max: number): Promise<void> {
    await this.ds.query(`INSERT INTO caps_cache (key, features) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET seen_at = now()`, [key, features]);
    await this.ds.query(`DELETE FROM caps_cache WHERE key IN (SELECT key FROM caps_cache ORDER BY seen_at DESC OFFSET $1)`, [max]);
  }

  // ---- erasure ----

  async eraseUser(owner: string): Promise<Erased> {
    return this.ds.transaction(async (m) => {
      const vcards = await count(m, `DELETE FROM vcards WHERE owner = $1`, [owner]);
      const privateXml = await count(m, `DELETE FROM private_xml WHERE owner = $1`, [owner]);
      const nodes = await count(m, `DELETE FROM pep_nodes WHERE owner = $1`, [owner]);
      return { vcards, privateXml, nodes };
    });
  }
}
