import { createHash } from 'node:crypto';
import { parseXml } from '@parley/xml';
import { avatarFromData, avatarMetadataElement, avatarMetadataInfo, vcardPhoto, vcardWithPhoto, withAvatarHash } from './vcard';

const BYTES = Buffer.from('an image');
const B64 = BYTES.toString('base64');
const SHA1 = createHash('sha1').update(BYTES).digest('hex');

describe('vCard avatars (XEP-0153, XEP-0398)', () => {
  it('reads the PHOTO and hashes the decoded bytes, whitespace in BINVAL ignored', () => {
    const v = parseXml(`<vCard xmlns='vcard-temp'><FN>x</FN><PHOTO><TYPE>image/jpeg</TYPE><BINVAL>${B64.slice(0, 4)}\n ${B64.slice(4)}</BINVAL></PHOTO></vCard>`);
    expect(vcardPhoto(v)).toMatchObject({ sha1: SHA1, type: 'image/jpeg', bytes: BYTES.length, base64: B64 });
    expect(vcardPhoto(parseXml("<vCard xmlns='vcard-temp'><PHOTO><EXTVAL>http://x</EXTVAL></PHOTO></vCard>"))).toBeUndefined();
    expect(vcardPhoto(parseXml("<vCard xmlns='vcard-temp'><PHOTO><BINVAL>@@@</BINVAL></PHOTO></vCard>"))).toBeUndefined();
  });

  it('converts both ways: data + metadata ↔ PHOTO', () => {
    const a = avatarFromData(parseXml(`<data xmlns='urn:xmpp:avatar:data'>${B64}</data>`), 'image/png')!;
    expect(a.sha1).toBe(SHA1);
    const meta = avatarMetadataElement(a);
    expect(avatarMetadataInfo(meta)).toEqual({ id: SHA1, type: 'image/png', bytes: BYTES.length });
    expect(avatarMetadataInfo(avatarMetadataElement(undefined))).toBeNull();
    const v = vcardWithPhoto(parseXml("<vCard xmlns='vcard-temp'><FN>x</FN><PHOTO><BINVAL>b2xk</BINVAL></PHOTO></vCard>"), a);
    expect(v.getChildren('PHOTO')).toHaveLength(1);
    expect(vcardPhoto(v)?.sha1).toBe(SHA1);
    expect(v.getChildText('FN')).toBe('x');
    expect(vcardWithPhoto(v, undefined).getChild('PHOTO')).toBeUndefined();
  });

  it('stamps the hash on presence, replacing what the client sent', () => {
    const p = withAvatarHash(parseXml("<presence xmlns='jabber:client'><x xmlns='vcard-temp:x:update'><photo>old</photo></x></presence>"), SHA1);
    expect(p.getChildren('x')).toHaveLength(1);
    expect(p.getChild('x')!.getChildText('photo')).toBe(SHA1);
    expect(withAvatarHash(parseXml("<presence xmlns='jabber:client'/>"), '').toString()).toContain('<photo/>');
  });
});
