// End-to-end: real NATS, real Postgres, two real gateway processes, real clients.
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventEnvelope, GATEWAY_EVENTS, GatewayEvents } from '@parley/contracts';
import { Bus } from '@parley/nats';
import { waitFor } from '@parley/testing-stack';
import { connectClient, GatewayProcess, plainAuth, RawXmpp, rawLogin as rawLoginAs, rawStartTls, registerInBand, TestClient, xml } from '@parley/testing-xmpp';
import { E2EStack, startStack } from './stack';

const PASSWORD = 'correct horse battery';

describe('gateway, end to end', () => {
  let stack: E2EStack;
  let gw1: GatewayProcess;
  let gw2: GatewayProcess;
  let bus: Bus;
  const events: EventEnvelope<any>[] = [];
  const clients: TestClient[] = [];

  const login = async (gw: GatewayProcess, username: string, extra: Partial<Parameters<typeof connectClient>[0]> = {}) => {
    const c = await connectClient({ port: gw.starttlsPort, username, password: PASSWORD, ...extra });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    stack = await startStack('gw');
    gw1 = await stack.startGateway();
    gw2 = await stack.startGateway();
    bus = await Bus.connect(stack.busOptions('e2e-observer'));
    await bus.consume({
      stream: GATEWAY_EVENTS,
      durable: 'e2e-observer',
      filterSubjects: GATEWAY_EVENTS.subjects,
      handler: async (e) => {
        events.push(e);
      },
    });
    for (const u of ['alicE', 'bOb', 'carol', 'dave', 'erin']) {
      expect(await registerInBand(gw1.starttlsPort, u, PASSWORD)).toMatch(/type=.result./);
    }
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    await bus?.close();
    await stack?.stop();
  });

  describe('accounts', () => {
    it('publishes account-registered with the prepared JID and no secrets', async () => {
      const e = await waitFor(() => events.find((x) => x.type === GatewayEvents.accountRegistered && x.data.jid === 'alice@localhost'));
      expect(e.data).toEqual({ jid: 'alice@localhost', via: 'in-band' });
    });

    it('refuses to register a taken username with <conflict/>', async () => {
      expect(await registerInBand(gw2.starttlsPort, 'ALICE', 'another password')).toMatch(/<conflict/);
    });

    it('refuses a registration without a password with <not-acceptable/>', async () => {
      expect(await registerInBand(gw1.starttlsPort, 'frank', '')).toMatch(/<not-acceptable/);
    });

    it('stores no password: only SCRAM keys', async () => {
      const { Client } = await import('pg');
      const db = new Client({ connectionString: stack.gatewayDb.url });
      await db.connect();
      const { rows } = await db.query('SELECT * FROM accounts WHERE username = $1', ['alice']);
      await db.end();
      expect(Object.keys(rows[0]).sort()).toEqual(
        [
          'created_at',
          ...['sha1', 'sha256', 'sha512'].flatMap((h) => [`${h}_iterations`, `${h}_salt`, `${h}_server_key`, `${h}_stored_key`]),
          'username',
        ].sort(),
      );
      expect(rows[0].sha256_iterations).toBeGreaterThanOrEqual(4096);
      expect(rows[0].sha512_iterations).toBeGreaterThanOrEqual(4096); // registered in band: SHA-512 keys too
      expect(JSON.stringify(rows[0])).not.toContain(Buffer.from(PASSWORD).toString('hex'));
    });
  });

  describe('authentication', () => {
    it.each(['SCRAM-SHA-1', 'SCRAM-SHA-256', 'PLAIN'] as const)('logs in with %s over STARTTLS', async (mechanism) => {
      const c = await login(gw1, 'alicE', { mechanism, presence: false });
      expect(c.jid).toMatch(/^alice@localhost\//);
    });

    it('logs in over direct TLS (XEP-0368)', async () => {
      const c = await connectClient({ port: gw2.directTlsPort, username: 'bob', password: PASSWORD, directTls: true, presence: false });
      clients.push(c);
      expect(c.jid).toMatch(/^bob@localhost\//);
    });

    it('answers a wrong password with <not-authorized/>', async () => {
      await expect(connectClient({ port: gw1.starttlsPort, username: 'alice', password: 'wrong password', mechanism: 'SCRAM-SHA-1' })).rejects.toThrow(/not-authorized/);
      await expect(connectClient({ port: gw1.starttlsPort, username: 'alice', password: 'wrong password', mechanism: 'PLAIN' })).rejects.toThrow(/not-authorized/);
      await expect(connectClient({ port: gw1.starttlsPort, username: 'nobody', password: 'wrong password', mechanism: 'SCRAM-SHA-256' })).rejects.toThrow(/not-authorized/);
    });

    it('offers no mechanism before TLS and refuses PLAIN there', async () => {
      const raw = await RawXmpp.connect(gw1.starttlsPort);
      raw.open();
      const features = (await raw.expect(/<stream:features>[\s\S]*?<\/stream:features>/))[0];
      expect(features).toMatch(/<starttls xmlns=.urn:ietf:params:xml:ns:xmpp-tls.><required\/><\/starttls>/);
      expect(features).not.toMatch(/mechanism/);
      raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0alice\0${PASSWORD}`).toString('base64')}</auth>`);
      await raw.expect(/<failure xmlns=.urn:ietf:params:xml:ns:xmpp-sasl.><encryption-required\/>/);
      raw.close();
    });

    it('offers PLAIN and channel binding only inside TLS', async () => {
      const raw = await RawXmpp.connectTls(gw1.directTlsPort);
      raw.open();
      const features = (await raw.expect(/<stream:features>[\s\S]*?<\/stream:features>/))[0];
      expect(features).toMatch(/<mechanism>SCRAM-SHA-256-PLUS<\/mechanism>/);
      expect(features).toMatch(/<mechanism>PLAIN<\/mechanism>/);
      expect(features).toMatch(/<channel-binding type=.tls-exporter.\/>/);
      expect(features).toMatch(/<register xmlns=.http:\/\/jabber.org\/features\/iq-register.\/>/);
      raw.close();
    });

    it('presents a certificate valid for the domain', async () => {
      const ca = readFileSync(join(stack.dataDir, 'tls', 'localhost.crt'));
      await new Promise<void>((resolve, reject) => {
        const s = tlsConnect({ port: gw1.directTlsPort, host: '127.0.0.1', servername: 'localhost', ca, ALPNProtocols: ['xmpp-client'] }, () => {
          expect(s.authorized).toBe(true);
          expect(s.alpnProtocol).toBe('xmpp-client');
          s.destroy();
          resolve();
        });
        s.once('error', reject);
      });
    });

    it('changes a password, after which only the new one works', async () => {
      const c = await login(gw1, 'erin', { presence: false });
      await c.iq(xml('iq', { type: 'set', to: 'localhost' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('username', {}, 'erin'), xml('password', {}, 'a brand new password'))));
      await c.stop();
      await expect(connectClient({ port: gw2.starttlsPort, username: 'erin', password: PASSWORD })).rejects.toThrow(/not-authorized/);
      const again = await connectClient({ port: gw2.starttlsPort, username: 'erin', password: 'a brand new password' });
      clients.push(again);
    });
  });

  describe('routing across two gateways', () => {
    it('delivers chat both ways between users on different gateways', async () => {
      const alice = await login(gw1, 'alice', { resource: 'laptop' });
      const bob = await login(gw2, 'bob', { resource: 'phone' });
      await waitFor(async () => {
        await alice.send(xml('message', { to: 'bob@localhost/phone', type: 'chat', id: 'probe' }, xml('body', {}, 'hello bob')));
        return bob.received.some((s) => s.attrs.id === 'probe');
      }, { what: 'gateways to see each other' });
      const got = await bob.waitFor((s) => s.is('message') && s.attrs.id === 'probe');
      expect(got.attrs.from).toBe('alice@localhost/laptop');
      expect(got.getChildText('body')).toBe('hello bob');
      await bob.send(xml('message', { to: 'ALICE@localhost', type: 'chat', id: 'back' }, xml('body', {}, 'hi alice')));
      const reply = await alice.waitFor((s) => s.attrs.id === 'back');
      expect(reply.attrs.from).toBe('bob@localhost/phone');
    });

    it('delivers a message to the bare JID to every available resource of non-negative priority', async () => {
      const c1 = await login(gw1, 'carol', { resource: 'one', presence: 1 });
      const c2 = await login(gw2, 'carol', { resource: 'two', presence: 0 });
      const c3 = await login(gw2, 'carol', { resource: 'negative', presence: -1 });
      const dave = await login(gw1, 'dave');
      await waitFor(async () => {
        await dave.send(xml('message', { to: 'carol@localhost', type: 'chat', id: `m${Date.now()}` }, xml('body', {}, 'to all')));
        return c1.received.some((s) => s.is('message')) && c2.received.some((s) => s.is('message'));
      }, { what: 'delivery to both resources' });
      expect(c3.received.some((s) => s.is('message'))).toBe(false);
    });

    it('sends directed presence and unavailable when the sender disconnects', async () => {
      const alice = await login(gw1, 'alice', { resource: 'dp' });
      const bob = await login(gw2, 'bob', { resource: 'dp' });
      await waitFor(async () => {
        await alice.send(xml('presence', { to: 'bob@localhost/dp' }, xml('status', {}, 'here')));
        return bob.received.some((s) => s.is('presence') && s.attrs.from === 'alice@localhost/dp' && !s.attrs.type);
      }, { what: 'directed presence' });
      await alice.stop();
      await bob.waitFor((s) => s.is('presence') && s.attrs.from === 'alice@localhost/dp' && s.attrs.type === 'unavailable', 'unavailable');
    });

    it('echoes initial presence to the user itself and its other resources', async () => {
      const a = await login(gw1, 'dave', { resource: 'a' });
      await a.waitFor((s) => s.is('presence') && s.attrs.from === 'dave@localhost/a', 'own presence');
      const b = await login(gw2, 'dave', { resource: 'b' });
      await a.waitFor((s) => s.is('presence') && s.attrs.from === 'dave@localhost/b', 'other resource presence');
      void b;
    });

    it('replaces a session that binds a taken resource, telling the old one <conflict/>', async () => {
      const raw = await rawLogin(gw1.starttlsPort, 'bob', 'same');
      const newer = await login(gw2, 'bob', { resource: 'same' });
      await raw.expect(/<stream:error><conflict xmlns=.urn:ietf:params:xml:ns:xmpp-streams.\/>/);
      await raw.expectClosed();
      expect(newer.jid).toBe('bob@localhost/same');
    });

    it('answers a message to a nonexistent account with service-unavailable', async () => {
      const alice = await login(gw1, 'alice');
      await alice.send(xml('message', { to: 'nobody@localhost', type: 'chat', id: 'ghost' }, xml('body', {}, 'anyone?')));
      const err = await alice.waitFor((s) => s.attrs.id === 'ghost' && s.attrs.type === 'error');
      expect(err.getChild('error')?.getChild('service-unavailable')).toBeDefined();
    });

    it('answers an IQ to an offline full JID with service-unavailable', async () => {
      const alice = await login(gw1, 'alice');
      await expect(alice.iq(xml('iq', { type: 'get', to: 'bob@localhost/nowhere' }, xml('ping', { xmlns: 'urn:xmpp:ping' })))).rejects.toThrow(/service-unavailable/);
    });
  });

  describe('server IQs', () => {
    it('answers disco#info, ping, version and time; unknown IQs get service-unavailable', async () => {
      const alice = await login(gw2, 'alice', { presence: false });
      const info = await alice.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
      const features = info.getChildren('feature').map((f) => f.attrs.var);
      expect(features).toEqual(expect.arrayContaining(['urn:xmpp:ping', 'jabber:iq:version', 'urn:xmpp:time', 'http://jabber.org/protocol/disco#info']));
      expect(info.getChild('identity')?.attrs).toMatchObject({ category: 'server', type: 'im' });
      await alice.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
      const version = await alice.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'jabber:iq:version' })));
      expect(version.getChildText('name')).toBe('Parley');
      const time = await alice.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('time', { xmlns: 'urn:xmpp:time' })));
      expect(Date.parse(time.getChildText('utc')!)).not.toBeNaN();
      await expect(alice.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'urn:example:unknown' })))).rejects.toThrow(/service-unavailable/);
      const acct = await alice.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
      expect(acct.getChild('identity')?.attrs).toMatchObject({ category: 'account', type: 'registered' });
    });
  });

  describe('hostile input', () => {
    const healthy = async () => {
      const c = await connectClient({ port: gw1.starttlsPort, username: 'dave', password: PASSWORD, presence: false });
      await c.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
      await c.stop();
    };

    const cases: Array<[string, string, RegExp]> = [
      ['malformed XML', `<message><body>oops</message>`, /<not-well-formed/],
      ['a DOCTYPE with entities', `<!DOCTYPE lol [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><message>&b;</message>`, /<(restricted-xml|not-well-formed)/],
      ['an undefined entity', `<message><body>&xxe;</body></message>`, /<(restricted-xml|not-well-formed)/],
      ['a processing instruction', `<?evil data?>`, /<restricted-xml/],
      ['a comment', `<!-- hi -->`, /<restricted-xml/],
    ];
    it.each(cases)('closes the stream on %s with the right error and keeps serving others', async (_name, payload, condition) => {
      const raw = await RawXmpp.connect(gw1.starttlsPort);
      raw.open();
      await raw.expect(/<\/stream:features>/);
      raw.send(payload);
      await raw.expect(condition);
      await raw.expectClosed();
      await healthy();
    });

    it('refuses stanzas before authentication with <not-authorized/>', async () => {
      const raw = await RawXmpp.connect(gw2.starttlsPort);
      raw.open();
      await raw.expect(/<\/stream:features>/);
      raw.send(`<message to='alice@localhost'><body>spam</body></message>`);
      await raw.expect(/<not-authorized xmlns=.urn:ietf:params:xml:ns:xmpp-streams./);
      await raw.expectClosed();
      await healthy();
    });

    it('ends a stream whose stanza exceeds the size limit with <policy-violation/>', async () => {
      const raw = await rawLogin(gw1.starttlsPort, 'dave', 'big');
      raw.send(`<message to='alice@localhost'><body>${'x'.repeat(300 * 1024)}</body></message>`);
      await raw.expect(/<policy-violation/);
      await raw.expectClosed();
      await healthy();
    });

    it('answers an unknown host with <host-unknown/>', async () => {
      const raw = await RawXmpp.connect(gw1.starttlsPort);
      raw.open('example.org');
      await raw.expect(/<host-unknown/);
      await raw.expectClosed();
    });

    it('survives a flood from one client while serving another', async () => {
      const raw = await rawLogin(gw2.starttlsPort, 'dave', 'flood');
      const chunk = `<message to='dave@localhost/flood' type='chat'><body>${'y'.repeat(900)}</body></message>`.repeat(100);
      for (let i = 0; i < 20; i++) raw.send(chunk); // ~2 MB, bounded
      await healthy();
      raw.close();
    });

    it('slows an attacker guessing passwords but never locks the owner out', async () => {
      const g = await stack.startGateway({ AUTH_FAILURES_PER_ADDRESS: '2', AUTH_FAILURES_PER_PAIR: '2', AUTH_FAILURES_PER_ACCOUNT: '6', AUTH_TARPIT_MAX: '300ms' });
      /** One PLAIN attempt inside TLS from a given loopback address: the SASL answer. */
      const attempt = async (from: string, password: string): Promise<string> => {
        const raw = await rawStartTls(g.starttlsPort, { localAddress: from });
        try {
          return await plainAuth(raw, 'carol', password);
        } finally {
          raw.close();
        }
      };
      // an attacker on 127.0.0.2 guesses, past every free failure: answers slow down, nothing locks
      for (let i = 0; i < 8; i++) expect(await attempt('127.0.0.2', `guess number ${i}`)).toMatch(/<failure[\s\S]*not-authorized/);
      // the account's ceiling is reached: the attacker's address is refused even with the right password...
      expect(await attempt('127.0.0.2', PASSWORD)).toMatch(/Too many failed attempts/);
      // ...while the owner, from an address that has not been failing, logs in
      expect(await attempt('127.0.0.3', PASSWORD)).toMatch(/<success/);
      // and so does a client library from the usual address
      const ok = await connectClient({ port: g.starttlsPort, username: 'carol', password: PASSWORD, mechanism: 'SCRAM-SHA-1' });
      await ok.stop();
    });

    it('times out an authenticated connection that stays silent', async () => {
      const g = await stack.startGateway({ IDLE_TIMEOUT: '2s', KEEPALIVE_INTERVAL: '1s' });
      const raw = await rawLogin(g.starttlsPort, 'dave', 'idle');
      await raw.expect(/^ +$/, 15_000); // whitespace keepalive first
      await raw.expect(/<connection-timeout/, 15_000);
      await raw.expectClosed();
    });

    it('refuses to start with an invalid configuration, naming each bad variable', async () => {
      await expect(stack.startGateway({ C2S_PORT: 'many', MAX_STANZA_SIZE: 'huge' })).rejects.toThrow(/C2S_PORT: "many" is not an integer[\s\S]*MAX_STANZA_SIZE: "huge" is not a size/);
    });

    it('times out a connection that never authenticates', async () => {
      const g = await stack.startGateway({ AUTH_TIMEOUT: '1s' });
      const raw = await RawXmpp.connect(g.starttlsPort);
      raw.open();
      await raw.expect(/<connection-timeout/, 15_000);
      await raw.expectClosed();
    });
  });

  describe('account removal', () => {
    it('removes the account, ends its sessions and publishes account-deleted', async () => {
      expect(await registerInBand(gw1.starttlsPort, 'gone', PASSWORD)).toMatch(/type=.result./);
      const other = await rawLogin(gw2.starttlsPort, 'gone', 'other');
      const c = await login(gw1, 'gone', { resource: 'main' });
      await c.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'))));
      await other.expect(/<not-authorized/);
      const e = await waitFor(() => events.find((x) => x.type === GatewayEvents.accountDeleted && x.data.jid === 'gone@localhost'));
      expect(e.data).toEqual({ jid: 'gone@localhost', reason: 'user' });
      await expect(connectClient({ port: gw2.starttlsPort, username: 'gone', password: PASSWORD })).rejects.toThrow(/not-authorized/);
    });

    it('publishes session events, batched per instance, without addresses', async () => {
      type Changes = { instanceId: string; changes: Array<{ jid: string; kind: string; at: string; mechanism?: string; reason?: string }> };
      const batches = () => events.filter((x) => x.type === GatewayEvents.sessionsChanged) as unknown as Array<{ data: Changes }>;
      const all = () => batches().flatMap((b) => b.data.changes);
      // the sessions of this suite: 'gone/main' was opened, then ended by the account's removal
      await waitFor(() => all().some((c) => c.jid === 'gone@localhost/main' && c.kind === 'closed'), { what: 'the closed session in a batch' });
      const main = all().filter((c) => c.jid === 'gone@localhost/main');
      expect(main.map((c) => c.kind)).toEqual(['opened', 'closed']);
      expect(main[0].mechanism).toMatch(/^SCRAM-|^PLAIN$/);
      expect(main[1].reason).toBe('removed');
      // one event carries several sessions, each batch from one instance
      expect(batches().some((b) => b.data.changes.length > 1)).toBe(true);
      const instances = new Set(batches().map((b) => b.data.instanceId));
      expect(instances.size).toBeGreaterThanOrEqual(2); // both gateways (and others the suite starts) had sessions
      for (const id of instances) expect(id).toMatch(/^\S+$/);
      for (const b of batches()) expect(JSON.stringify(b)).not.toMatch(/127\.0\.0\.1|::1/);
      expect(events.some((x) => x.type === GatewayEvents.sessionOpened || x.type === GatewayEvents.sessionClosed)).toBe(false);
    });
  });
});

function rawLogin(port: number, username: string, resource: string): Promise<RawXmpp> {
  return rawLoginAs(port, username, PASSWORD, resource);
}
