// XEP-0054 vcard-temp, XEP-0153 (the avatar hash in presence) and XEP-0398 (one avatar
// for both worlds): the vCard PHOTO, the XEP-0084 avatar nodes, and the conversions.
import { createHash } from 'node:crypto';
import { Element, x } from '@parley/xml';
import { kid } from '../util';

export const NS_VCARD = 'vcard-temp';
export const NS_VCARD_UPDATE = 'vcard-temp:x:update';
export const NS_AVATAR_DATA = 'urn:xmpp:avatar:data';
export const NS_AVATAR_METADATA = 'urn:xmpp:avatar:metadata';
export const NS_PEP_VCARD_CONVERSION = 'urn:xmpp:pep-vcard-conversion:0';

/** An avatar image: its bytes (base64 as sent), MIME type and SHA-1 (hex, of the decoded bytes). */
export interface Avatar {
  base64: string;
  type: string;
  sha1: string;
  bytes: number;
  width?: number;
  height?: number;
}

/** Base64 without whitespace, or undefined when it is not base64. */
function cleanBase64(s: string): string | undefined {
  const b = s.replace(/\s+/g, '');
  return /^[A-Za-z0-9+/]*={0,2}$/.test(b) && b.length % 4 === 0 ? b : undefined;
}

function avatarOf(base64: string, type: string): Avatar | undefined {
  const b = cleanBase64(base64);
  if (!b) return undefined;
  const bytes = Buffer.from(b, 'base64');
  if (!bytes.length) return undefined;
  return { base64: b, type: type || 'image/png', sha1: createHash('sha1').update(bytes).digest('hex'), bytes: bytes.length };
}

/** The vCard's PHOTO with inline BINVAL (XEP-0153 §3.1), or undefined (no photo, EXTVAL or not base64). */
export function vcardPhoto(vcard: Element): Avatar | undefined {
  const photo = kid(vcard, NS_VCARD, 'PHOTO');
  const bin = photo && kid(photo, NS_VCARD, 'BINVAL');
  if (!bin) return undefined;
  return avatarOf(bin.text(), kid(photo!, NS_VCARD, 'TYPE')?.text().trim() ?? '');
}

/** The vCard with its PHOTO replaced by `avatar` (or removed when undefined) — XEP-0398 §4. */
export function vcardWithPhoto(vcard: Element | undefined, avatar: Avatar | undefined): Element {
  const out = vcard ? vcard.clone() : x('vCard', { xmlns: NS_VCARD });
  out.children = out.children.filter((c) => typeof c === 'string' || c.name !== 'PHOTO');
  if (avatar) out.append(x('PHOTO', null, x('TYPE', null, avatar.type), x('BINVAL', null, avatar.base64)));
  return out;
}

/** The XEP-0084 data payload `<data xmlns='urn:xmpp:avatar:data'>` as an avatar (item id = its SHA-1). */
export function avatarFromData(data: Element, type: string): Avatar | undefined {
  if (data.name !== 'data' || data.attrs.xmlns !== NS_AVATAR_DATA) return undefined;
  return avatarOf(data.text(), type);
}

/** The `<info/>` of a metadata payload that points at the data node (no `url`), if any. */
export function avatarMetadataInfo(metadata: Element): { id: string; type: string; bytes: number } | null | undefined {
  if (metadata.name !== 'metadata' || metadata.attrs.xmlns !== NS_AVATAR_METADATA) return undefined;
  const infos = metadata.getChildren('info');
  if (!infos.length) return null; // XEP-0084 §4.2: an empty metadata disables the avatar
  const own = infos.find((i) => !i.attrs.url && i.attrs.id);
  if (!own) return undefined;
  return { id: own.attrs.id!, type: own.attrs.type ?? 'image/png', bytes: Number(own.attrs.bytes) || 0 };
}

/** The XEP-0084 data payload of an avatar. */
export function avatarDataElement(a: Avatar): Element {
  return x('data', { xmlns: NS_AVATAR_DATA }, a.base64);
}

/** The XEP-0084 metadata payload of an avatar (or the empty one that disables it). */
export function avatarMetadataElement(a: Avatar | undefined): Element {
  if (!a) return x('metadata', { xmlns: NS_AVATAR_METADATA });
  return x('metadata', { xmlns: NS_AVATAR_METADATA }, x('info', { id: a.sha1, type: a.type, bytes: a.bytes, width: a.width, height: a.height }));
}

/** XEP-0153 §4.1: the presence's `<x xmlns='vcard-temp:x:update'>` replaced by one carrying `hash` (`''`: no avatar). */
export function withAvatarHash(presence: Element, hash: string): Element {
  const out = presence.clone();
  out.children = out.children.filter((c) => typeof c === 'string' || !(c.name === 'x' && c.attrs.xmlns === NS_VCARD_UPDATE));
  out.append(x('x', { xmlns: NS_VCARD_UPDATE }, hash ? x('photo', null, hash) : x('photo')));
  return out;
}
