import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { NS } from '@parley/stanza';
import { registerModule } from '../modules/xep-0077-register/register.module';
import { pingModule } from '../modules/xep-0199-ping/ping.module';
import { presenceModule } from '../modules/rfc6121-presence/presence.module';
import { offlineModule } from '../modules/xep-0160-offline/offline.module';
import { smModule } from '../modules/xep-0198-sm/sm.module';
import { waitFor } from '@parley/testing-stack';
import { FakeSocket } from '../testing/fake-socket';
import { settle, TestGateway } from '../testing/test-gateway';
import { C2SConnection } from './c2s';

const open = (to = 'localhost') => `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${to}' version='1.0'>`;
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

/** The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677), enough to log in. */
function scramClient(user: string, password: string) {
  const nonce = randomBytes(18).toString('base64');
  const first = `n=${user},r=${nonce}`;
  return {
    first: `n,,${first}`,
    final(serverFirst: string): string {
      const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
      const salted = pbkdf2Sync(password, Buffer.from(attrs.s, 'base64'), Number(attrs.i), 32, 'sha256');
      const clientKey = createHmac('sha256', salted).update('Client Key').digest();
      const storedKey = createHash('sha256').update(clientKey).digest();
      const withoutProof = `c=biws,r=${attrs.r}`;
      const signature = createHmac('sha256', storedKey).update(`${first},${serverFirst},${withoutProof}`).digest();
      const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
      return `${withoutProof},p=${proof.toString('base64')}`;
    },
  };
}

/** SCRAM-SHA-256 on an open stream, up to the server's `<success/>`. */
async function authenticate(s: FakeSocket, user: string, password: string): Promise<void> {
  const scram = scramClient(user, password);
  let mark = s.output.length;
  s.send(`<auth xmlns='${NS.sasl}' mechanism='SCRAM-SHA-256'>${b64(scram.first)}</auth>`);
  const challenge = (await s.until(/<challenge[^>]*>([^<]*)<\/challenge>/, mark))[1];
  mark = s.output.length;
  s.send(`<response xmlns='${NS.sasl}'>${b64(scram.final(Buffer.from(challenge, 'base64').toString()))}</response>`);
  await s.until(/<success /, mark);
}

describe('client stream negotiation (RFC 6120, in process over a fake socket)', () => {
  let gw: TestGateway;
  beforeEach(async () => (gw = await TestGateway.start({ modules: [registerModule, pingModule] })));
  afterEach(() => gw.stop());

  const connection = () => {
    const socket = new FakeSocket();
    const conn = new C2SConnection(socket as unknown as Socket, gw.core, false, { startTls: false });
    gw.core.connectionOpened(conn);
    return { socket, conn };
  };
  const connect = () => connection().socket;

  it('ends a stream to another domain with host-unknown', async () => {
    const s = connect();
    s.send(open('example.org'));
    await s.until(/<host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/>/);
  });

  it('a stopping gateway tells open streams system-shutdown, or see-other-host when configured', async () => {
    const s = connect();
    s.send(open());
    await s.until(/<\/stream:features>/);
    await gw.stop();
    await s.until(/<system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/>/);
    gw = await TestGateway.start({ modules: [pingModule], env: { SHUTDOWN_SEE_OTHER_HOST: 'xmpp2.example.org:5222' } });
    const t = connect();
    t.send(open());
    await t.until(/<\/stream:features>/);
    await gw.stop();
    await t.until(/<see-other-host xmlns="urn:ietf:params:xml:ns:xmpp-streams">xmpp2\.example\.org:5222<\/see-other-host>/);
    gw = await TestGateway.start({ modules: [registerModule, pingModule] });
  });

  it('answers temporary-auth-failure while the account store is down, and the stream stays usable', async () => {
    const s = connect();
    s.send(open());
    await s.until(/<\/stream:features>/);
    const find = gw.store.find.bind(gw.store);
    gw.store.find = async () => {
      throw new Error('connection terminated');
    };
    const scram = scramClient('alice', 'secret');
    s.send(`<auth xmlns='${NS.sasl}' mechanism='SCRAM-SHA-256'>${b64(scram.first)}</auth>`);
    await s.until(/<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><temporary-auth-failure\/>/);
    gw.store.find = find;
    const mark = s.output.length;
    s.send(`<auth xmlns='${NS.sasl}' mechanism='SCRAM-SHA-256'>${b64(scramClient('alice', 'secret').first)}</auth>`);
    await s.until(/<challenge /, mark);
  });

  it('refuses stanzas before authentication', async () => {
    const s = connect();
    s.send(open());
    await s.until(/<\/stream:features>/);
    s.send(`<message to='bob@localhost'><body>x</body></message>`);
    await s.until(/<not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/>/);
  });

  it('registers in band, authenticates with SCRAM-SHA-256, binds and answers a ping — also after its idle parser was dropped', async () => {
    const { socket: s, conn } = connection();
    s.send(open());
    const features = (await s.until(/<stream:features>.*<\/stream:features>/))[0];
    expect(features).toContain('<mechanism>SCRAM-SHA-256</mechanism>');
    expect(features).not.toContain('PLAIN'); // never without TLS
    expect(features).toContain(`<register xmlns="${NS.registerFeature}"/>`);

    let mark = s.output.length;
    s.send(`<iq type='set' id='reg'><query xmlns='${NS.register}'><username>alicE</username><password>correct horse battery</password></query></iq>`);
    await s.until(/<iq type="result" id="reg"\/>/, mark);
    expect(await gw.store.exists('alice')).toBe(true);

    await authenticate(s, 'alice', 'correct horse battery');

    mark = s.output.length;
    s.send(open());
    const bound = (await s.until(/<stream:features>.*<\/stream:features>/, mark))[0];
    expect(bound).toContain(`<bind xmlns="${NS.bind}"/>`);
    mark = s.output.length;
    s.send(`<iq type='set' id='b'><bind xmlns='${NS.bind}'><resource>desk</resource></bind></iq>`);
    await s.until(/<jid>alice@localhost\/desk<\/jid>/, mark);
    expect(gw.core.directory.resource('alice@localhost', 'desk')?.session).toBeDefined();

    mark = s.output.length;
    s.send(`<iq type='get' id='p' to='localhost'><ping xmlns='${NS.ping}'/></iq>`);
    await s.until(/<iq type="result" id="p" to="alice@localhost\/desk" from="localhost"\/>/, mark);
    // a second of silence: the gateway's sweep drops the stream's XML tokenizer; the next stanza makes a new one
    const parser = (conn as unknown as { parser: { hibernating: boolean } }).parser;
    conn.tick(Date.now() + 500);
    expect(parser.hibernating).toBe(false);
    conn.tick(Date.now() + 1500);
    expect(parser.hibernating).toBe(true);
    mark = s.output.length;
    s.send(`<iq type='get' id='p2' to='localhost'><ping xmlns='${NS.ping}'/></iq>`);
    await s.until(/<iq type="result" id="p2" to="alice@localhost\/desk" from="localhost"\/>/, mark);
    expect(parser.hibernating).toBe(false);
    s.send(`</stream:stream>`);
    await s.until(/<\/stream:stream>$/, mark);
    expect(gw.core.directory.resources('alice@localhost')).toEqual([]);
  });

  it('goes on with messages while an offline hand-off waits for its JetStream ack; a ping and XEP-0198 <r/> wait for the ack', async () => {
    await gw.stop();
    gw = await TestGateway.start({ modules: [registerModule, pingModule, presenceModule, offlineModule, smModule] });
    await gw.accounts('bob');
    const s = connect();
    s.send(open());
    await s.until(/<\/stream:features>/);
    s.send(`<iq type='set' id='reg'><query xmlns='${NS.register}'><username>alice</username><password>correct horse battery</password></query></iq>`);
    await s.until(/id="reg"/);
    await authenticate(s, 'alice', 'correct horse battery');
    let mark = s.output.length;
    s.send(open());
    await s.until(/<\/stream:features>/, mark);
    s.send(`<iq type='set' id='b'><bind xmlns='${NS.bind}'/></iq>`);
    await s.until(/<jid>/, mark);
    s.send(`<enable xmlns='${NS.sm}'/>`);
    await s.until(/<enabled /, mark);
    let ack!: () => void;
    gw.bus.eventAcks = new Promise<void>((r) => (ack = r));
    mark = s.output.length;
    s.send(`<message to='bob@localhost' type='chat' id='m1'><body>one</body></message><message to='bob@localhost' type='chat' id='m2'><body>two</body></message>`);
    s.send(`<iq type='get' id='p' to='localhost'><ping xmlns='${NS.ping}'/></iq><r xmlns='${NS.sm}'/>`);
    await waitFor(() => gw.bus.handOffs().length === 2, { what: 'both hand-offs published' });
    await settle();
    // Both messages went to JetStream in order without waiting for the first ack; the ping and <r/> wait.
    expect(gw.bus.handOffs().map((h) => h.stanzaId)).toEqual(['m1', 'm2']);
    expect(s.output.slice(mark)).not.toMatch(/id="p"|<a /);
    ack();
    await s.until(/<iq type="result" id="p"/, mark);
    // The handled count covers the two messages and the ping, all committed.
    await s.until(/<a xmlns="urn:xmpp:sm:3" h="3"\/>|<a xmlns='urn:xmpp:sm:3' h='3'\/>/, mark);
    gw.bus.eventAcks = undefined;
  });

  it('stops reading a connection whose parsed stanzas pile up (C2S_MAX_PENDING), and resumes once they are handled: nothing dropped', async () => {
    await gw.stop();
    gw = await TestGateway.start({ modules: [registerModule, pingModule], env: { C2S_MAX_PENDING: '4' } });
    const s = connect();
    s.send(open());
    await s.until(/<\/stream:features>/);
    s.send(`<iq type='set' id='reg'><query xmlns='${NS.register}'><username>bob</username><password>correct horse battery</password></query></iq>`);
    await s.until(/id="reg"/);
    await authenticate(s, 'bob', 'correct horse battery');
    let mark = s.output.length;
    s.send(open());
    await s.until(/<\/stream:features>/, mark);
    s.send(`<iq type='set' id='b'><bind xmlns='${NS.bind}'/></iq>`);
    await s.until(/<jid>/, mark);
    const pause = jest.spyOn(s, 'pause');
    const resume = jest.spyOn(s, 'resume');
    mark = s.output.length;
    s.send(Array.from({ length: 12 }, (_, i) => `<iq type='get' id='q${i}' to='localhost'><ping xmlns='${NS.ping}'/></iq>`).join(''));
    for (let i = 0; i < 12; i++) await s.until(new RegExp(`id="q${i}"`), mark);
    expect(pause).toHaveBeenCalled();
    expect(resume).toHaveBeenCalled();
    expect(gw.core.metrics.readPauses).toBe(1);
  });
});
