import { parseXml } from '@parley/xml';
import { Session, SlotMap } from '../../host';
import { FromStorage } from './from-storage';

const managed = new WeakSet<Session>();
const withSm = () => {
  const s = { state: new SlotMap() } as unknown as Session;
  managed.add(s);
  return s;
};
const stored = { from: 'alice@localhost/a', arrivedAt: '2026-01-02T03:04:05.678Z', stanzaId: 'm1' };
const rerouted = parseXml(
  `<message from='alice@localhost/a' to='bob@localhost' id='m1'><body>hi</body><delay xmlns='urn:xmpp:delay' from='localhost' stamp='2026-01-02T03:04:05.678Z'/></message>`,
);

describe('stored messages written to stream-management sessions', () => {
  it('recognises the re-routed copy of an unacknowledged one after its session ended', () => {
    const f = new FromStorage('localhost', (s) => managed.has(s));
    const s = withSm();
    f.written(s, stored);
    expect(f.isRerouted(rerouted)).toBe(false); // the session still lives
    f.sessionEnded(s);
    expect(f.isRerouted(rerouted)).toBe(true);
  });

  it('forgets acknowledged ones, and never tracks sessions without stream management', () => {
    const f = new FromStorage('localhost', (s) => managed.has(s));
    const s = withSm();
    f.confirmed(s, [f.written(s, stored)]);
    f.sessionEnded(s);
    expect(f.isRerouted(rerouted)).toBe(false);

    const plain = { state: new SlotMap() } as unknown as Session;
    expect(f.written(plain, stored)).toBeUndefined();
    f.sessionEnded(plain);
    expect(f.isRerouted(rerouted)).toBe(false);
  });

  it('does not mistake a delay stamped by someone else', () => {
    const f = new FromStorage('localhost', (s) => managed.has(s));
    const s = withSm();
    f.written(s, stored);
    f.sessionEnded(s);
    const foreign = parseXml(`<message from='alice@localhost/a' id='m1'><delay xmlns='urn:xmpp:delay' from='alice@localhost/a' stamp='2026-01-02T03:04:05.678Z'/></message>`);
    expect(f.isRerouted(foreign)).toBe(false);
  });
});
