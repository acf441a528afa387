import { isBlocklistLoadedV1, isDeleteAccountCommandV1, isDeliverCommandV1, isDeliverReceiptV1, isHeartbeatV1, isPresenceRelayV1, isRouteChangeV1, isServerNoticeCommandV1, isSessionsChunkV1 } from './gateway';

// Malformed payloads a buggy or foreign publisher could put on a gateway subject.
const junk: unknown[] = [null, undefined, 42, 'text', [], [1, 2], {}, { i: 7 }];

describe('gateway-to-gateway payloads are validated at the bus edge', () => {
  it('route changes: up with presence and carbons, down without', () => {
    expect(isRouteChangeV1({ i: 'gw1', b: 'alice@localhost', r: 'phone', op: 'up', p: 5, a: true, c: false })).toBe(true);
    expect(isRouteChangeV1({ i: 'gw1', b: 'alice@localhost', r: 'phone', op: 'down' })).toBe(true);
    expect(isRouteChangeV1({ i: 'gw1', b: 'alice@localhost', r: 'phone', op: 'sideways' })).toBe(false);
    expect(isRouteChangeV1({ i: 'gw1', b: 'alice@localhost', op: 'down' })).toBe(false);
    expect(isRouteChangeV1({ i: 'gw1', b: 'alice@localhost', r: 'phone', op: 'up', p: '5' })).toBe(false);
    expect(isRouteChangeV1({ i: 'gw1', b: 'alice@localhost', r: 'phone', op: 'up', a: 'yes' })).toBe(false);
    for (const v of junk) expect(isRouteChangeV1(v)).toBe(false);
  });

  it('heartbeats: instance and session count', () => {
    expect(isHeartbeatV1({ i: 'gw1', n: 0 })).toBe(true);
    expect(isHeartbeatV1({ i: 'gw1' })).toBe(false);
    expect(isHeartbeatV1({ i: 1, n: 1 })).toBe(false);
    expect(isHeartbeatV1({ i: 'gw1', n: 0, m: 12 })).toBe(true);
    expect(isHeartbeatV1({ i: 'gw1', n: 0, m: -1 })).toBe(false);
    expect(isHeartbeatV1({ i: 'gw1', n: 0, m: 1.5 })).toBe(false);
    for (const v of junk) expect(isHeartbeatV1(v)).toBe(false);
  });

  it('deliver commands: batches of [targets, xml], or a kick with a reason', () => {
    expect(isDeliverCommandV1({ b: [[['alice@localhost/phone'], '<message/>']] })).toBe(true);
    expect(isDeliverCommandV1({ b: [] })).toBe(true);
    expect(isDeliverCommandV1({ b: [], t: 1700000000000 })).toBe(true);
    expect(isDeliverCommandV1({ b: [], t: 'now' })).toBe(false);
    expect(isDeliverCommandV1({ kick: 'alice@localhost/phone', reason: 'conflict' })).toBe(true);
    expect(isDeliverCommandV1({ kick: 'alice@localhost/phone', reason: 'ended' })).toBe(true);
    expect(isDeliverCommandV1({ kick: 'alice@localhost/phone', reason: 'bored' })).toBe(false);
    expect(isDeliverCommandV1({ b: [['alice@localhost/phone', '<message/>']] })).toBe(false);
    expect(isDeliverCommandV1({ b: [[['alice@localhost/phone'], 42]] })).toBe(false);
    expect(isDeliverCommandV1({ b: [[[7], '<message/>']] })).toBe(false);
    expect(isDeliverCommandV1({ b: 'x' })).toBe(false);
    for (const v of junk) expect(isDeliverCommandV1(v)).toBe(false);
  });

  it('delivery receipts: [entry, full JID] pairs of targets that were gone', () => {
    expect(isDeliverReceiptV1({ g: [] })).toBe(true);
    expect(isDeliverReceiptV1({ g: [[0, 'alice@localhost/phone']] })).toBe(true);
    expect(isDeliverReceiptV1({ g: [['0', 'alice@localhost/phone']] })).toBe(false);
    expect(isDeliverReceiptV1({ g: [[0.5, 'alice@localhost/phone']] })).toBe(false);
    for (const v of junk) expect(isDeliverReceiptV1(v)).toBe(false);
  });

  it('session chunks: instance and [bare, resource, priority, available, carbons] rows', () => {
    expect(isSessionsChunkV1({ i: 'gw1', s: [['alice@localhost', 'phone', 0, true, false]] })).toBe(true);
    expect(isSessionsChunkV1({ i: 'gw1', s: [['alice@localhost', 'phone', 0, true]] })).toBe(false);
    expect(isSessionsChunkV1({ i: 'gw1', s: [['alice@localhost', 'phone', '0', true, false]] })).toBe(false);
    for (const v of junk) expect(isSessionsChunkV1(v)).toBe(false);
  });

  it('account commands from the janitor and admin tools', () => {
    expect(isDeleteAccountCommandV1({ jid: 'alice@localhost', reason: 'inactivity' })).toBe(true);
    expect(isDeleteAccountCommandV1({ jid: 'alice@localhost', reason: 'admin' })).toBe(true);
    expect(isDeleteAccountCommandV1({ jid: 'alice@localhost', reason: 'user' })).toBe(false);
    expect(isDeleteAccountCommandV1({ jid: '', reason: 'admin' })).toBe(false);
    expect(isServerNoticeCommandV1({ to: 'alice@localhost', body: 'hello' })).toBe(true);
    expect(isServerNoticeCommandV1({ to: 'alice@localhost', body: 'hello', subject: 'notice' })).toBe(true);
    expect(isServerNoticeCommandV1({ to: 'alice@localhost', body: '' })).toBe(false);
    expect(isServerNoticeCommandV1({ to: 'alice@localhost', body: 'x'.repeat(65537) })).toBe(false);
    expect(isServerNoticeCommandV1({ to: 'alice@localhost', body: 'hello', subject: 1 })).toBe(false);
    for (const v of junk) {
      expect(isDeleteAccountCommandV1(v)).toBe(false);
      expect(isServerNoticeCommandV1(v)).toBe(false);
    }
  });

  it('validate presence relay work and block-list announcements', () => {
    expect(isPresenceRelayV1({ c: [{ k: 'probe', u: 'a@x', t: 'b@x/r' }, { k: 'send', u: 'a@x', t: 'c@x', r: 'phone' }] })).toBe(true);
    expect(isPresenceRelayV1({ c: [] })).toBe(true);
    expect(isPresenceRelayV1({ c: [{ k: 'delete', u: 'a@x', t: 'b@x' }] })).toBe(false);
    expect(isPresenceRelayV1({ c: [{ k: 'probe', u: 1, t: 'b@x' }] })).toBe(false);
    expect(isPresenceRelayV1({ c: [{ k: 'probe', u: 'a@x', t: 'b@x', r: 5 }] })).toBe(false);
    expect(isPresenceRelayV1({ c: 'x' })).toBe(false);
    expect(isBlocklistLoadedV1({ i: 'gw1', u: 'a@x', b: ['c@x'] })).toBe(true);
    expect(isBlocklistLoadedV1({ i: 'gw1', u: 'a@x', b: [1] })).toBe(false);
    expect(isBlocklistLoadedV1({ i: 'gw1', u: 'a@x' })).toBe(false);
    for (const v of junk) {
      expect(isPresenceRelayV1(v)).toBe(false);
      expect(isBlocklistLoadedV1(v)).toBe(false);
    }
  });
});
