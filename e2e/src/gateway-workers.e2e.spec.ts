// End-to-end: one gateway with GATEWAY_WORKERS=2 (node:cluster) — the workers share the
// client port, reach each other's users over NATS, are counted together by the
// primary's /metrics and /readyz, a worker that dies is replaced while the other keeps
// serving, and SIGTERM stops every worker gracefully (clients told system-shutdown).
import { readFileSync } from 'node:fs';
import { waitFor } from '@parley/testing-stack';
import { GatewayProcess, RawXmpp, rawLogin, TestClient, xml } from '@parley/testing-xmpp';
import { E2EStack, e2eUsers, startStack } from './stack';

const PASSWORD = 'correct horse battery';
const WAIT = 30_000;

/** The worker processes of a primary (children in /proc). */
function workerPids(primary: number): number[] {
  const out: number[] = [];
  for (const line of readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8').trim().split(/\s+/)) if (line) out.push(Number(line));
  return out;
}

describe('gateway workers (GATEWAY_WORKERS=2), end to end', () => {
  let stack: E2EStack;
  let gw: GatewayProcess;
  let httpPort: number;
  const users = e2eUsers(PASSWORD, () => gw.starttlsPort);
  const raws: RawXmpp[] = [];

  const http = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, text: await res.text() };
  };
  const metric = async (name: string) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec((await http('/metrics')).text);
    return m ? Number(m[1]) : undefined;
  };
  const readyBoth = () => waitFor(async () => (await http('/readyz')).status === 200, { what: 'both workers ready', timeoutMs: WAIT });

  beforeAll(async () => {
    stack = await startStack('workers');
    gw = await stack.startGateway({ GATEWAY_WORKERS: '2' });
    const rec = await waitFor(() => gw.logs.map((l) => JSON.parse(l.startsWith('{') ? l : '{}') as { msg?: string; httpPort?: number }).find((r) => r.msg === 'gateway workers: health and metrics listening'), {
      what: 'the primary listening',
      timeoutMs: WAIT,
    });
    httpPort = rec.httpPort!;
    await readyBoth();
  }, 120_000);

  afterEach(async () => {
    await Promise.all(users.clients.splice(0).map((c) => c.stop()));
    for (const r of raws.splice(0)) r.close();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('serves clients on both workers, routes between them, and sums their metrics', async () => {
    expect(workerPids(gw.proc.pid!)).toHaveLength(2);
    const names = await users.accounts(...Array.from({ length: 8 }, (_, i) => `w${i}`));
    const clients: TestClient[] = [];
    for (const n of names) clients.push(await users.login(gw, n));
    // both workers opened the shared listeners (connections are handed to them in turn)
    const instances = new Set(
      gw.logs
        .filter((l) => l.includes('"XMPP listeners open"'))
        .map((l) => (JSON.parse(l) as { instance: string }).instance),
    );
    expect(instances.size).toBe(2);
    await waitFor(async () => (await metric('parley_gateway_sessions')) === 8, { what: 'eight sessions summed over the workers', timeoutMs: WAIT });
    // each user writes to the next: half of these cross from one worker to the other
    for (let i = 0; i < clients.length; i++) {
      const to = clients[(i + 1) % clients.length];
      await clients[i].send(xml('message', { to: to.jid, type: 'chat', id: `m${i}` }, xml('body', {}, `hello ${i}`)));
    }
    for (let i = 0; i < clients.length; i++) {
      const got = await clients[(i + 1) % clients.length].waitFor((s) => s.is('message') && s.attrs.id === `m${i}`, `message ${i}`, WAIT);
      expect(got.attrs.from).toBe(clients[i].jid);
    }
    const health = JSON.parse((await http('/healthz')).text) as { status: string; workers: number };
    expect(health).toEqual({ status: 'ok', workers: 2 });
    expect((await http('/nothing')).status).toBe(404);
  });

  it('replaces a worker that dies, while the other keeps serving', async () => {
    const names = await users.accounts('k0', 'k1', 'k2', 'k3', 'later');
    const pre: TestClient[] = [];
    for (const n of names.slice(0, 4)) pre.push(await users.login(gw, n)); // handed out in turn: two on each worker
    const before = workerPids(gw.proc.pid!);
    process.kill(before[0], 'SIGKILL');
    // the sessions on the killed worker are cut, the others stay
    const status = (c: TestClient) => (c.xmpp as unknown as { status: string }).status;
    await waitFor(() => pre.some((c) => status(c) !== 'online'), { what: 'the killed worker\'s clients cut', timeoutMs: WAIT });
    // the primary starts another; /readyz fails meanwhile and recovers
    await waitFor(() => workerPids(gw.proc.pid!).length === 2 && workerPids(gw.proc.pid!).some((p) => !before.includes(p)), { what: 'a new worker', timeoutMs: WAIT });
    await readyBoth();
    expect(gw.logs.some((l) => l.includes('gateway worker exited; starting another'))).toBe(true);
    const alive = pre.filter((c) => status(c) === 'online');
    expect(alive.length).toBeGreaterThanOrEqual(1);
    expect(alive.length).toBeLessThan(4);
    // logins go on, and the survivors reach the newcomer wherever it landed
    const late = await users.login(gw, names[4]);
    for (const [i, c] of alive.entries()) await c.send(xml('message', { to: late.jid, type: 'chat', id: `after${i}` }, xml('body', {}, 'still here')));
    for (const [i] of alive.entries()) await late.waitFor((s) => s.attrs.id === `after${i}`, `message ${i} after the restart`, WAIT);
  });

  it('stops every worker gracefully on SIGTERM: clients are told system-shutdown', async () => {
    const [a, b] = await users.accounts('last', 'one');
    const ra = await rawLogin(gw.starttlsPort, a, PASSWORD, 'r');
    const rb = await rawLogin(gw.starttlsPort, b, PASSWORD, 'r');
    raws.push(ra, rb);
    const pids = workerPids(gw.proc.pid!);
    const exit = new Promise<number | null>((r) => gw.proc.once('exit', (code) => r(code)));
    gw.proc.kill('SIGTERM');
    await ra.expect(/<system-shutdown/);
    await rb.expect(/<system-shutdown/);
    expect(await exit).toBe(0);
    for (const p of pids) expect(() => process.kill(p, 0)).toThrow();
    expect(gw.logs.some((l) => l.includes('gateway workers stopped'))).toBe(true);
  });
});
