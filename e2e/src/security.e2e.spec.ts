// End-to-end: hostile clients and attackers on the path (issue "Security").
import { GatewayProcess, RawXmpp, registerInBand } from '@parley/testing-xmpp';
import { E2EStack, startStack } from './stack';

describe('security, end to end', () => {
  let stack: E2EStack;
  let gw: GatewayProcess;

  beforeAll(async () => {
    stack = await startStack('security');
    // TLS optional: the attacker's injected registration would otherwise be refused for lack of TLS anyway
    gw = await stack.startGateway({ TLS_REQUIRED: 'false' });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('discards what arrives in plaintext after <starttls/>: an injected registration never happens (RFC 6120 §5.4.3.3)', async () => {
    const raw = await RawXmpp.connect(gw.starttlsPort);
    raw.open();
    await raw.expect(/<\/stream:features>/);
    // one TCP write: the STARTTLS request and, behind it, what a man in the middle appended
    raw.send(
      `<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>` +
        `<iq type='set' id='evil'><query xmlns='jabber:iq:register'><username>mallory</username><password>injected password</password></query></iq>`,
    );
    await raw.expect(/<proceed/);
    await raw.startTls();
    raw.open();
    await raw.expect(/<\/stream:features>/);
    expect(raw.received).not.toMatch(/id=["']evil["']/);
    raw.close();
    // the name is still free: the injected request was never processed
    expect(await registerInBand(gw.starttlsPort, 'mallory', 'a proper password')).toMatch(/type=.result./);
  });
});
