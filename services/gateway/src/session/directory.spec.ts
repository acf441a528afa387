import { Directory } from './directory';
import type { Session } from './session';

const fakeSession = (full: string) => ({ full }) as unknown as Session;

describe('Directory', () => {
  it('keeps resources of one user from several instances', () => {
    const d = new Directory();
    d.put('bob@localhost', { resource: 'a', instanceId: 'gw1', priority: 0, available: true, carbons: false, session: fakeSession('bob@localhost/a') });
    d.put('bob@localhost', { resource: 'b', instanceId: 'gw2', priority: 5, available: true, carbons: false });
    expect(d.resources('bob@localhost').map((r) => r.resource).sort()).toEqual(['a', 'b']);
    expect(d.localSize).toBe(1);
    expect([...d.localSessions()]).toHaveLength(1);
  });

  it('removes a resource only for the instance that holds it', () => {
    const d = new Directory();
    d.put('bob@localhost', { resource: 'a', instanceId: 'gw2', priority: 0, available: true, carbons: false });
    expect(d.remove('bob@localhost', 'a', 'gw1')).toBe(false);
    expect(d.remove('bob@localhost', 'a', 'gw2')).toBe(true);
    expect(d.resources('bob@localhost')).toEqual([]);
  });

  it('forgets every remote resource of a vanished instance and reports them', () => {
    const d = new Directory();
    d.put('a@localhost', { resource: 'x', instanceId: 'gw2', priority: 0, available: true, carbons: false });
    d.put('b@localhost', { resource: 'y', instanceId: 'gw2', priority: 0, available: false, carbons: false });
    d.put('b@localhost', { resource: 'z', instanceId: 'gw3', priority: 0, available: true, carbons: false });
    const dropped = d.dropInstance('gw2');
    expect(dropped.map((x) => `${x.bare}/${x.state.resource}`).sort()).toEqual(['a@localhost/x', 'b@localhost/y']);
    expect(d.resources('b@localhost').map((r) => r.resource)).toEqual(['z']);
  });

  it('counts a replaced local session once', () => {
    const d = new Directory();
    d.put('c@localhost', { resource: 'r', instanceId: 'gw1', priority: 0, available: false, carbons: false, session: fakeSession('1') });
    d.put('c@localhost', { resource: 'r', instanceId: 'gw1', priority: 0, available: false, carbons: false, session: fakeSession('2') });
    expect(d.localSize).toBe(1);
  });
});
