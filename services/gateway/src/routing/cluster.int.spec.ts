// Cross-gateway delivery over a real NATS server: every batch is a request answered by
// a receipt, so stanzas for a session the other instance no longer holds, or for an
// instance that died, come back to the sender (to be routed again) instead of vanishing.
import { GatewaySubjects } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { testInfra, uniqueNamespace, waitFor } from '@parley/testing-stack';
import pino from 'pino';
import { Directory } from '../session/directory';
import type { Session } from '../session/session';
import { Cluster, ClusterCallbacks, UndeliveredReason } from './cluster';

const HOOK_TIMEOUT = 60_000;
jest.setTimeout(30_000);
const log = pino({ level: 'silent' });

interface Node {
  bus: Bus;
  directory: Directory;
  cluster: Cluster;
  delivered: Array<[string, string]>;
  undelivered: Array<{ instance: string; entries: Array<[string[], string]>; reason: UndeliveredReason }>;
  gone: string[];
}

describe('Cluster delivery receipts (real NATS)', () => {
  let natsUrl: string;
  const nodes: Node[] = [];

  beforeAll(async () => {
    ({ natsUrl } = await testInfra());
  }, HOOK_TIMEOUT);

  afterAll(async () => {
    for (const n of nodes) {
      await n.cluster.stop();
      await n.bus.close();
    }
  }, HOOK_TIMEOUT);

  async function node(namespace: string, id: string, localUsers: string[]): Promise<Node> {
    const bus = await Bus.connect({ url: natsUrl, name: id, namespace });
    const directory = new Directory();
    const n = { bus, directory, delivered: [], undelivered: [], gone: [] } as unknown as Node;
    for (const full of localUsers) {
      const [bare, resource] = full.split('/');
      directory.put(bare, { resource, instanceId: id, priority: 0, available: true, carbons: false, session: { closed: false, bare, jid: { resource }, priority: 0, available: true } as unknown as Session });
    }
    const cb: ClusterCallbacks = {
      deliverLocal: (targets, xml) => {
        const missing: string[] = [];
        for (const t of targets) {
          const [bare, resource] = t.split('/');
          if (directory.resource(bare, resource)?.session) n.delivered.push([t, xml]);
          else missing.push(t);
        }
        return missing;
      },
      undelivered: (instance, entries, reason) => void n.undelivered.push({ instance, entries, reason }),
      kickLocal: () => undefined,
      peerGone: (_id, dropped) => void n.gone.push(...dropped.map((d) => `${d.bare}/${d.state.resource}`)),
    };
    n.cluster = new Cluster(bus, directory, id, cb, log, { heartbeatMs: 200, peerTimeoutMs: 30_000 });
    await n.cluster.start();
    nodes.push(n);
    return n;
  }

  it('delivers to held sessions and gives back exactly the targets the other instance no longer holds', async () => {
    const ns = uniqueNamespace();
    const a = await node(ns, 'gw-a', []);
    const b = await node(ns, 'gw-b', ['alice@example.org/phone']);
    await waitFor(() => a.directory.resource('alice@example.org', 'phone') !== undefined, { what: "gw-a learns alice's session", timeoutMs: 10_000 });
    expect(a.cluster.deliverRemote('gw-b', ['alice@example.org/phone', 'alice@example.org/laptop'], '<message id="1"/>')).toBe(true);
    expect(a.cluster.deliverRemote('gw-b', ['alice@example.org/phone'], '<message id="2"/>')).toBe(true);
    await waitFor(() => a.undelivered.length === 1, { what: 'the receipt naming the gone target', timeoutMs: 10_000 });
    expect(b.delivered).toEqual([
      ['alice@example.org/phone', '<message id="1"/>'],
      ['alice@example.org/phone', '<message id="2"/>'],
    ]);
    expect(a.undelivered[0]).toEqual({ instance: 'gw-b', reason: 'gone', entries: [[['alice@example.org/laptop'], '<message id="1"/>']] });
  });

  it('an instance that stopped listening: its batch comes back at once (no responders) and its sessions leave the directory', async () => {
    const ns = uniqueNamespace();
    const a = await node(ns, 'gw-a', []);
    const b = await node(ns, 'gw-b', ['bob@example.org/phone']);
    await waitFor(() => a.directory.resource('bob@example.org', 'phone') !== undefined, { what: "gw-a learns bob's session", timeoutMs: 10_000 });
    // gw-b dies without a goodbye: its connection (and subscriptions) go, its directory entry stays on gw-a
    await b.cluster.stop();
    await b.bus.close();
    nodes.splice(nodes.indexOf(b), 1);
    expect(a.cluster.deliverRemote('gw-b', ['bob@example.org/phone'], '<message id="3"/>')).toBe(true);
    await waitFor(() => a.undelivered.length === 1, { what: 'the batch given back', timeoutMs: 10_000 });
    expect(a.undelivered[0]).toEqual({ instance: 'gw-b', reason: 'peer-gone', entries: [[['bob@example.org/phone'], '<message id="3"/>']] });
    expect(a.directory.resource('bob@example.org', 'phone')).toBeUndefined();
    expect(a.gone).toEqual(['bob@example.org/phone']);
  });

  it('a batch that arrives after its sender gave up is not delivered (the sender routed it again)', async () => {
    const ns = uniqueNamespace();
    const b = await node(ns, 'gw-b', ['carol@example.org/phone']);
    const raw = await Bus.connect({ url: natsUrl, name: 'raw', namespace: ns });
    try {
      const stale = { b: [[['carol@example.org/phone'], '<message id="old"/>']], t: Date.now() - 60_000 };
      const fresh = { b: [[['carol@example.org/phone'], '<message id="new"/>']], t: Date.now() };
      raw.publish(GatewaySubjects.deliver('gw-b'), stale);
      await raw.requestRaw(GatewaySubjects.deliver('gw-b'), Buffer.from(JSON.stringify(fresh)), 5000);
      expect(b.delivered.map(([, xml]) => xml)).toEqual(['<message id="new"/>']);
    } finally {
      await raw.close();
    }
  });

  it('anti-entropy: a directory whose count for a peer disagrees with its heartbeats reads that peer again (missed ups and downs)', async () => {
    const ns = uniqueNamespace();
    const a = await node(ns, 'gw-a', []);
    const b = await node(ns, 'gw-b', ['dave@example.org/phone']);
    await waitFor(() => a.directory.resource('dave@example.org', 'phone') !== undefined, { what: "gw-a learns dave's session", timeoutMs: 10_000 });
    // gw-b's session changes while its route changes are lost: dave leaves, erin arrives
    b.directory.remove('dave@example.org', 'phone', 'gw-b');
    b.directory.put('erin@example.org', { resource: 'pad', instanceId: 'gw-b', priority: 0, available: true, carbons: false, session: { closed: false, bare: 'erin@example.org', jid: { resource: 'pad' }, priority: 0, available: true } as unknown as Session });
    await waitFor(() => a.directory.resource('erin@example.org', 'pad') !== undefined && a.directory.resource('dave@example.org', 'phone') === undefined, {
      what: 'gw-a re-reads gw-b',
      timeoutMs: 15_000,
    });
    expect(a.gone).toEqual(['dave@example.org/phone']);
    expect(a.cluster.resyncs).toBeGreaterThan(0);
  });
});
