import { EventEnvelope, GatewayDeliveryFailedV1, GatewayEvents, UploadSlotRequestV1, UploadSubjects } from '@parley/contracts';
import { NS } from '@parley/stanza';
import { discoModule } from '../xep-0030-disco/disco.module';
import { settle, TestGateway } from '../../testing/test-gateway';
import { NS_UPLOAD, NS_UPLOAD_PURPOSE, uploadModule } from './upload.module';

const request = (attrs: string, inner = '') => `<iq type='get' to='upload.localhost'><request xmlns='${NS_UPLOAD}' ${attrs}>${inner}</request></iq>`;

describe('XEP-0363 HTTP File Upload, gateway side (in process)', () => {
  let gw: TestGateway;
  afterEach(() => gw?.stop());

  it('lists upload.<domain> in the server disco#items and announces max-file-size and purposes', async () => {
    gw = await TestGateway.start({ modules: [discoModule, uploadModule], env: { UPLOAD_MAX_FILE_SIZE: '1MiB' } });
    const alice = await gw.login('alice');
    const items = await alice.iq(`<iq type='get' to='localhost'><query xmlns='${NS.discoItems}'/></iq>`);
    expect(items.getChild('query')!.getChildren('item').map((i) => i.attrs.jid)).toContain('upload.localhost');
    const info = (await alice.iq(`<iq type='get' to='upload.localhost'><query xmlns='${NS.discoInfo}'/></iq>`)).getChild('query')!;
    expect(info.getChild('identity')!.attrs).toMatchObject({ category: 'store', type: 'file' });
    const features = info.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining([NS_UPLOAD, `${NS_UPLOAD_PURPOSE}#message`, `${NS_UPLOAD_PURPOSE}#profile`]));
    const field = info.getChild('x', NS.dataForms)!.getChildren('field').find((f) => f.attrs.var === 'max-file-size')!;
    expect(field.getChildText('value')).toBe(String(1024 * 1024));
  });

  it('asks the upload service for a slot with the session\'s account and answers with put and get', async () => {
    gw = await TestGateway.start({ modules: [uploadModule] });
    const asked: UploadSlotRequestV1[] = [];
    gw.bus.answer(UploadSubjects.requestSlot, (q: UploadSlotRequestV1) => {
      asked.push(q);
      return { slot: { put: 'https://u.example/a/b?sig=1&expires=2', headers: { Authorization: 'x' }, get: 'https://u.example/a/b', putExpiresAt: new Date().toISOString() } };
    });
    const alice = await gw.login('alicE');
    const r = await alice.iq(request(`filename='a b.jpg' size='123' content-type='image/jpeg'`, `<profile xmlns='${NS_UPLOAD_PURPOSE}'/>`));
    expect(r.attrs.type).toBe('result');
    expect(r.attrs.from).toBe('upload.localhost');
    const slot = r.getChild('slot', NS_UPLOAD)!;
    expect(slot.getChild('put')!.attrs.url).toBe('https://u.example/a/b?sig=1&expires=2');
    expect(slot.getChild('put')!.getChild('header')!.attrs.name).toBe('Authorization');
    expect(slot.getChild('get')!.attrs.url).toBe('https://u.example/a/b');
    expect(asked).toEqual([{ user: 'alice@localhost', filename: 'a b.jpg', size: 123, contentType: 'image/jpeg', purpose: 'profile' }]);
  });

  it('maps refusals to the XEP-0363 §5 errors', async () => {
    gw = await TestGateway.start({ modules: [uploadModule] });
    let answer: unknown;
    gw.bus.answer(UploadSubjects.requestSlot, () => answer);
    const alice = await gw.login('alice');
    answer = { refused: { reason: 'file-too-large', maxFileSize: 20000 } };
    let e = (await alice.iq(request(`filename='a' size='23456'`))).getChild('error')!;
    expect(e.attrs.type).toBe('modify');
    expect(e.getChild('not-acceptable', NS.stanzas)).toBeDefined();
    expect(e.getChild('file-too-large', NS_UPLOAD)!.getChildText('max-file-size')).toBe('20000');
    answer = { refused: { reason: 'quota', scope: 'user', retryAt: '2030-01-02T03:04:05.678Z' } };
    e = (await alice.iq(request(`filename='a' size='1'`))).getChild('error')!;
    expect(e.attrs.type).toBe('wait');
    expect(e.getChild('resource-constraint', NS.stanzas)).toBeDefined();
    expect(e.getChild('retry', NS_UPLOAD)!.attrs.stamp).toBe('2030-01-02T03:04:05Z');
    answer = { refused: { reason: 'not-acceptable', text: 'the file name holds a path separator' } };
    e = (await alice.iq(request(`filename='a' size='1'`))).getChild('error')!;
    expect(e.getChild('not-acceptable', NS.stanzas)).toBeDefined();
    expect(e.getChildText('text', NS.stanzas)).toMatch(/path separator/);
    // Each refusal is in the delivery-error log: who, the component, the rule; never the file name.
    await settle();
    const failed = gw.bus.sent<EventEnvelope<GatewayDeliveryFailedV1>>(GatewayEvents.deliveryFailed).map((f) => f.data);
    expect(failed.map((f) => [f.from, f.to, f.kind, f.reason, f.detail])).toEqual([
      ['alice@localhost', 'upload.localhost', 'iq', 'not-acceptable', 'upload-file-too-large'],
      ['alice@localhost', 'upload.localhost', 'iq', 'resource-constraint', 'upload-quota'],
      ['alice@localhost', 'upload.localhost', 'iq', 'not-acceptable', 'upload-not-acceptable'],
    ]);
    expect(JSON.stringify(failed)).not.toContain('path separator');
  });

  it('refuses malformed requests itself and says service-unavailable when the service is down', async () => {
    gw = await TestGateway.start({ modules: [uploadModule] });
    const alice = await gw.login('alice');
    expect((await alice.iq(request(`size='1'`))).getChild('error')!.getChild('bad-request', NS.stanzas)).toBeDefined();
    expect((await alice.iq(request(`filename='a' size='-1'`))).getChild('error')!.getChild('bad-request', NS.stanzas)).toBeDefined();
    expect((await alice.iq(request(`filename='a' size='1'`, `<eternal xmlns='${NS_UPLOAD_PURPOSE}'/>`))).getChild('error')!.getChild('not-acceptable', NS.stanzas)).toBeDefined();
    const down = (await alice.iq(request(`filename='a' size='1'`))).getChild('error')!;
    expect(down.getChild('service-unavailable', NS.stanzas)).toBeDefined();
    expect(down.attrs.type).toBe('wait');
    // Not a user of the component, nor another payload
    expect((await alice.iq(`<iq type='get' to='someone@upload.localhost'><request xmlns='${NS_UPLOAD}' filename='a' size='1'/></iq>`)).getChild('error')!.getChild('service-unavailable', NS.stanzas)).toBeDefined();
    expect((await alice.iq(`<iq type='get' to='upload.localhost'><ping xmlns='urn:xmpp:ping'/></iq>`)).getChild('error')!.getChild('service-unavailable', NS.stanzas)).toBeDefined();
  });
});
