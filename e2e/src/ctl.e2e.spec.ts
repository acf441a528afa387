// End-to-end: the admin CLI against the same database and bus as a running gateway.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EventEnvelope, GATEWAY_EVENTS, GatewayEvents } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { waitFor } from '@parley/testing-stack';
import { connectClient, GatewayProcess, rawLogin, registerInBand } from '@parley/testing-xmpp';
import { E2EStack, startStack } from './stack';

const run = promisify(execFile);
const CTL = join(__dirname, '../../dist/services/gateway/src/cli/ctl.js');

describe('admin CLI (npm run ctl)', () => {
  let stack: E2EStack;
  let gw: GatewayProcess;
  let bus: Bus;
  const events: EventEnvelope<any>[] = [];

  const ctl = (args: string[], input?: string) => {
    const p = run(process.execPath, [CTL, ...args], {
      env: { ...process.env, ...stack.busEnv('gateway'), GATEWAY_DATABASE_URL: stack.gatewayDb.url },
    });
    if (input !== undefined) {
      p.child.stdin!.write(input);
      p.child.stdin!.end();
    }
    return p;
  };

  beforeAll(async () => {
    stack = await startStack('ctl');
    gw = await stack.startGateway();
    bus = await Bus.connect(stack.busOptions('ctl-observer'));
    await bus.consume({ stream: GATEWAY_EVENTS, durable: 'ctl-observer', filterSubjects: GATEWAY_EVENTS.subjects, handler: async (e) => void events.push(e) });
  });

  afterAll(async () => {
    await bus?.close();
    await stack?.stop();
  });

  it('adds an account (password on stdin) that can log in', async () => {
    const { stdout } = await ctl(['account', 'add', 'Zoe'], 'a strong password\n');
    expect(stdout).toMatch(/created zoe@localhost/);
    const c = await connectClient({ port: gw.starttlsPort, username: 'zoe', password: 'a strong password', presence: false });
    await c.stop();
    await waitFor(() => events.find((e) => e.type === GatewayEvents.accountRegistered && e.data.jid === 'zoe@localhost' && e.data.via === 'admin'));
  });

  it('counts who is online and ends a user\'s sessions (the account stays)', async () => {
    const c = await rawLogin(gw.starttlsPort, 'zoe', 'a strong password', 'desk');
    await waitFor(async () => /^1 users online, 1 sessions/m.test((await ctl(['online'])).stdout), { what: 'zoe online' });
    expect((await ctl(['sessions', 'end', 'zoe'])).stdout).toMatch(/zoe@localhost: 1 session\(s\) ended/);
    await c.expectClosed();
    await waitFor(async () => (await ctl(['online'])).stdout.startsWith('0 users online'), { what: 'nobody online' });
    await expect(ctl(['sessions', 'end'])).rejects.toMatchObject({ code: 2 });
  });

  it('lists accounts', async () => {
    const { stdout } = await ctl(['account', 'list']);
    expect(stdout).toMatch(/^zoe@localhost\t\d{4}-/m);
  });

  it('changes a password', async () => {
    await ctl(['account', 'passwd', 'zoe@localhost', '--password', 'another strong one']);
    await expect(connectClient({ port: gw.starttlsPort, username: 'zoe', password: 'a strong password' })).rejects.toThrow(/not-authorized/);
    const c = await connectClient({ port: gw.starttlsPort, username: 'zoe', password: 'another strong one', presence: false });
    await c.stop();
  });

  it('explains bad input with a message and a non-zero exit', async () => {
    await expect(ctl(['account', 'add', 'zoe', '--password', 'whatever123'])).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/already exists/) });
    await expect(ctl(['account', 'add', 'bad user', '--password', 'whatever123'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/not a user of localhost|not a valid username/) });
    await expect(ctl(['account', 'add', 'shorty', '--password', 'short'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/at least 8/) });
    await expect(ctl(['account', 'frobnicate', 'x'])).rejects.toMatchObject({ code: 2 });
    await expect(ctl(['account', 'delete', 'ghost'])).rejects.toMatchObject({ stderr: expect.stringMatching(/no account ghost@localhost/) });
  });

  it('deletes an account, publishing account-deleted, and it can no longer log in', async () => {
    const { stdout } = await ctl(['account', 'delete', 'zoe']);
    expect(stdout).toMatch(/deleted zoe@localhost/);
    await waitFor(() => events.find((e) => e.type === GatewayEvents.accountDeleted && e.data.jid === 'zoe@localhost' && e.data.reason === 'admin'));
    await expect(connectClient({ port: gw.starttlsPort, username: 'zoe', password: 'another strong one' })).rejects.toThrow(/not-authorized/);
    // the name stays a tombstone for USERNAME_TOMBSTONE: nobody inherits zoe's contacts
    await expect(ctl(['account', 'add', 'zoe', '--password', 'a third password'])).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/deleted less than USERNAME_TOMBSTONE ago/) });
    await expect(registerInBand(gw.starttlsPort, 'zoe', 'a third password')).resolves.toMatch(/<conflict/);
  });

  it('reports migrations as up to date', async () => {
    const { stdout } = await ctl(['migrate']);
    expect(stdout).toMatch(/up to date/);
  });
});
