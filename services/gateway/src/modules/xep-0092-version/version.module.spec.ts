import { NS } from '@parley/stanza';
import { TestGateway } from '../../testing/test-gateway';
import { versionModule } from './version.module';

const ask = `<iq type='get' to='localhost'><query xmlns='${NS.version}'/></iq>`;

describe('XEP-0092 software version (in process)', () => {
  it('answers name, version and OS', async () => {
    const gw = await TestGateway.start({ modules: [versionModule], env: { SERVER_NAME: 'Test Parley' } });
    const q = (await (await gw.login('alice')).iq(ask)).getChild('query', NS.version)!;
    expect(q.getChildText('name')).toBe('Test Parley');
    expect(q.getChildText('version')).toMatch(/\d/);
    expect(q.getChildText('os')).toMatch(/^Node\.js /);
    await gw.stop();
  });

  it('answers the name only when SERVER_VERSION_HIDDEN is set', async () => {
    const gw = await TestGateway.start({ modules: [versionModule], env: { SERVER_VERSION_HIDDEN: 'true' } });
    const q = (await (await gw.login('alice')).iq(ask)).getChild('query', NS.version)!;
    expect(q.getChildText('name')).toBe('Parley');
    expect(q.getChild('version')).toBeUndefined();
    expect(q.getChild('os')).toBeUndefined();
    await gw.stop();
  });
});
