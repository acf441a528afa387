// Route changes share socket writes: they wait a few milliseconds for each other, and
// anything else sent to peers flushes them first (a fake bus records the order).
import { GatewaySubjects, RouteChangeV1 } from '@parley/contracts';
import { decodeJson, type Bus } from '@parley/nats';
import pino from 'pino';
import { Directory } from '../session/directory';
import { Cluster, ClusterCallbacks } from './cluster';

const log = pino({ level: 'silent' });

function fakeBus() {
  const sent: Array<{ subject: string; data: unknown }> = [];
  const bus = {
    publish: (subject: string, data: unknown) => {
      sent.push({ subject, data });
      return true;
    },
    publishRaw: (subject: string, data: Uint8Array) => {
      sent.push({ subject, data: decodeJson(data) });
      return true;
    },
    requestRaw: (subject: string, data: Uint8Array) => {
      sent.push({ subject, data: decodeJson(data) });
      return new Promise(() => undefined);
    },
    isConnected: () => true,
    maxPayload: () => 1024 * 1024,
  };
  return { bus: bus as unknown as Bus, sent };
}

const cb: ClusterCallbacks = { deliverLocal: () => [], undelivered: () => undefined, kickLocal: () => undefined, peerGone: () => undefined };
const state = (resource: string) => ({ resource, instanceId: 'gw-1', priority: 1, available: true, carbons: false });
const tick = () => new Promise((r) => setImmediate(r));
const after = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('route changes', () => {
  it('wait for each other and leave together, in order', async () => {
    const { bus, sent } = fakeBus();
    const c = new Cluster(bus, new Directory(), 'gw-1', cb, log, { heartbeatMs: 60_000, peerTimeoutMs: 60_000 });
    c.announceUp('alice@example.org', state('phone'));
    c.announceDown('bob@example.org', 'laptop');
    c.announceUp('alice@example.org', { ...state('phone'), available: false });
    await tick();
    expect(sent).toEqual([]);
    await after(50);
    expect(sent.map((s) => [s.subject, (s.data as RouteChangeV1).b, (s.data as RouteChangeV1).op, (s.data as RouteChangeV1).a])).toEqual([
      [GatewaySubjects.sessionChanged, 'alice@example.org', 'up', true],
      [GatewaySubjects.sessionChanged, 'bob@example.org', 'down', undefined],
      [GatewaySubjects.sessionChanged, 'alice@example.org', 'up', false],
    ]);
    await c.stop();
  });

  it('leave before a stanza batch or a kick sent after them', async () => {
    const { bus, sent } = fakeBus();
    const c = new Cluster(bus, new Directory(), 'gw-1', cb, log, { heartbeatMs: 60_000, peerTimeoutMs: 60_000 });
    c.announceUp('alice@example.org', state('phone'));
    expect(c.deliverRemote('gw-2', ['bob@example.org/laptop'], '<message/>')).toBe(true);
    await tick();
    expect(sent.map((s) => s.subject)).toEqual([GatewaySubjects.sessionChanged, GatewaySubjects.deliver('gw-2')]);
    c.announceDown('alice@example.org', 'phone');
    c.kickRemote('gw-2', 'bob@example.org/laptop', 'conflict');
    expect(sent.map((s) => s.subject).slice(2)).toEqual([GatewaySubjects.sessionChanged, GatewaySubjects.deliver('gw-2')]);
    await after(20);
    expect(sent).toHaveLength(4);
    await c.stop();
  });

  it('pending at stop are sent, not lost', async () => {
    const { bus, sent } = fakeBus();
    const c = new Cluster(bus, new Directory(), 'gw-1', cb, log, { heartbeatMs: 60_000, peerTimeoutMs: 60_000 });
    c.announceDown('alice@example.org', 'phone');
    await c.stop();
    expect(sent.map((s) => (s.data as RouteChangeV1).op)).toEqual(['down']);
  });
});
