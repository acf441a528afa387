// "A peer that goes away and comes back", shared by the federation suites (Prosody and
// ejabberd): a message crosses, the peer stops, a message to it bounces with
// remote-server-not-found or remote-server-timeout, the peer restarts, its user logs in
// again, and messages flow again (the first ones may still meet the unreachable-domain
// cache, S2S_RETRY_AFTER, so they are sent until one arrives).
import { waitFor } from '@parley/testing-stack';
import { connectClient, TestClient, xml } from '@parley/testing-xmpp';

/** A reference server a suite can stop and start again (same domain, ports and data). */
export interface RestartablePeer {
  domain: string;
  c2sPort: number;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

/** Runs the outage with `local` (ours) writing to `remote` (the peer's user); resolves with the remote user logged in again. */
export async function peerOutage(o: { local: TestClient; remote: TestClient; peer: RestartablePeer; password: string; waitMs: number; keep: (c: TestClient) => void }): Promise<TestClient> {
  const { local, remote, peer } = o;
  const remoteBare = remote.jid.split('/')[0];
  await local.send(xml('message', { to: remoteBare, type: 'chat', id: 'before' }, xml('body', {}, 'before')));
  await remote.waitFor((s) => s.attrs.id === 'before', 'message before the outage', o.waitMs);
  await remote.stop();
  await peer.stop();
  await local.send(xml('message', { to: remoteBare, type: 'chat', id: 'while-down' }, xml('body', {}, 'anyone?')));
  const err = await local.waitFor((s) => s.is('message') && s.attrs.id === 'while-down' && s.attrs.type === 'error', 'the bounce while the peer is down', o.waitMs);
  const condition = err.getChild('error')?.children.find((c) => typeof c !== 'string' && c.name !== 'text');
  expect(['remote-server-not-found', 'remote-server-timeout']).toContain((condition as { name: string }).name);
  await peer.restart();
  // its c2s port may open a moment after its s2s service
  const back = await waitFor(() => connectClient({ port: peer.c2sPort, username: remoteBare.split('@')[0], password: o.password, domain: peer.domain, mechanism: 'PLAIN' }).catch(() => undefined), {
    what: 'the remote user back on the restarted peer',
    timeoutMs: o.waitMs,
    intervalMs: 200,
  });
  o.keep(back);
  let n = 0;
  await waitFor(
    async () => {
      const id = `after-${n++}`;
      await local.send(xml('message', { to: remoteBare, type: 'chat', id }, xml('body', {}, 'back?')));
      return back
        .waitFor((s) => s.attrs.id === id, id, 2000)
        .then(() => true)
        .catch(() => false);
    },
    { what: 'messages to flow again once the peer is back', timeoutMs: 60_000, intervalMs: 0 },
  );
  return back;
}
