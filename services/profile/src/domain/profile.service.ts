// The profile service's decisions: who may see a node and who gets its notifications
// (from the owner's roster, asked of the roster service), the limits, and the XEP-0398
// conversion between the vCard PHOTO and the XEP-0084 avatar nodes. Handlers decode
// and answer; the store keeps.
import { Inject, Injectable } from '@nestjs/common';
import {
  PepItemV1,
  PepNodeConfig,
  PepNotificationV1,
  PepPublishCommand,
  PepPublishResult,
  PepRefusal,
  ProfileEvents,
  RosterLoginQuery,
  RosterLoginResult,
  RosterSubjects,
} from '@parley/contracts';
import { Bus } from '@parley/nats';
import { LOGGER, Logger } from '@parley/runtime';
import {
  Avatar,
  avatarDataElement,
  avatarFromData,
  avatarMetadataElement,
  avatarMetadataInfo,
  NS_AVATAR_DATA,
  NS_AVATAR_METADATA,
  vcardPhoto,
  vcardWithPhoto,
} from '@parley/xep';
import { Element, parseXml } from '@parley/xml';
import { randomUUID } from 'node:crypto';
import { ProfileConfig } from '../config/config';
import { ProfileStore } from '../store/profile-store';
import { PROFILE_CONFIG } from '../tokens';
import { accessRefusal, defaultNodeConfig, notificationRecipients, OwnerRoster, ownerRoster, preconditionRefusal, preconditionsMet, requestedConfig } from './node-config';

/** Parses stored or received XML; undefined when it is not one well-formed element. */
export function parseElement(xml: string): Element | undefined {
  try {
    return parseXml(xml);
  } catch {
    return undefined;
  }
}

@Injectable()
export class ProfileService {
  constructor(
    private readonly bus: Bus,
    readonly store: ProfileStore,
    @Inject(PROFILE_CONFIG) readonly config: ProfileConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** The owner's roster as access decisions need it; undefined when the roster service does not answer (only the owner is let in). */
  async rosterOf(owner: string): Promise<OwnerRoster | undefined> {
    try {
      const login = await this.bus.request<RosterLoginResult>(RosterSubjects.login, { user: owner } satisfies RosterLoginQuery, { timeoutMs: this.config.PROFILE_ROSTER_TIMEOUT });
      return ownerRoster(login);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'roster not available; node access limited to the owner');
      return undefined;
    }
  }

  /** Tells the gateways about a change of a node (after its commit). */
  async notify(publisher: string, node: string, config: PepNodeConfig, change: Pick<PepNotificationV1, 'kind' | 'item'>): Promise<void> {
    const roster = config.accessModel === 'whitelist' ? undefined : await this.rosterOf(publisher);
    const n: PepNotificationV1 = { publisher, node, ...change, recipients: notificationRecipients(config, publisher, roster) };
    this.bus.publish(ProfileEvents.notify, n);
  }

  /** XEP-0060 §7.1 with XEP-0223 publish-options; XEP-0398 §3 when the avatar metadata changes. */
  async publish(c: PepPublishCommand, opts: { convert?: boolean } = {}): Promise<PepPublishResult> {
    const payload = c.item?.payload;
    if (payload !== undefined && Buffer.byteLength(payload) > this.config.PROFILE_MAX_ITEM_BYTES) {
      return { ok: false, refusal: { condition: 'not-acceptable', text: `an item holds at most ${this.config.PROFILE_MAX_ITEM_BYTES} bytes`, pubsub: 'payload-too-big' } };
    }
    if (payload !== undefined && !parseElement(payload)) return { ok: false, refusal: { condition: 'bad-request', pubsub: 'invalid-payload' } };
    const wanted = requestedConfig(c.options, this.config.PROFILE_MAX_ITEMS_PER_NODE);
    if ('refusal' in wanted) return { ok: false, refusal: wanted.refusal };
    const id = c.item?.id && c.item.id.length <= 256 ? c.item.id : randomUUID();
    const done = await this.store.publish(c.owner, c.node, { id, payload }, this.config.PROFILE_MAX_NODES, (existing) => {
      if (!existing) return { config: { ...defaultNodeConfig(), ...wanted.config } };
      return preconditionsMet(existing, wanted.config) ? { config: existing } : { refusal: preconditionRefusal() };
    });
    if ('refusal' in done) return { ok: false, refusal: done.refusal };
    await this.notify(c.owner, c.node, done.config, { kind: 'items', item: payload === undefined ? { id } : { id, payload } });
    if (opts.convert !== false && c.node === NS_AVATAR_METADATA && payload !== undefined) await this.avatarToVCard(c.owner, parseElement(payload)!);
    return { ok: true, id };
  }

  /** XEP-0398 §3: a new avatar (metadata pointing at a data item) becomes the vCard PHOTO; an empty metadata removes it. */
  private async avatarToVCard(owner: string, metadata: Element): Promise<void> {
    const info = avatarMetadataInfo(metadata);
    if (info === undefined) return;
    let avatar: Avatar | undefined;
    if (info) {
      const [data] = await this.store.items(owner, NS_AVATAR_DATA, [info.id], 1);
      const el = data?.payload ? parseElement(data.payload) : undefined;
      avatar = el ? avatarFromData(el, info.type) : undefined;
      if (!avatar || avatar.sha1 !== info.id) return; // not ours to convert (or a lying id)
    }
    const current = await this.store.getVCard(owner);
    if ((current?.photoHash ?? '') === (avatar?.sha1 ?? '')) return;
    const vcard = vcardWithPhoto(current ? parseElement(current.xml) : undefined, avatar);
    await this.store.setVCard(owner, vcard.toString(), avatar?.sha1 ?? '');
  }

  /** Stores a vCard; XEP-0398 §4: a PHOTO that is not the current avatar is published as one. Returns the photo hash. */
  async setVCard(owner: string, vcard: Element): Promise<string> {
    const photo = vcardPhoto(vcard);
    await this.store.setVCard(owner, vcard.toString(), photo?.sha1 ?? '');
    if (!photo) return '';
    const [meta] = await this.store.items(owner, NS_AVATAR_METADATA, undefined, 1);
    const metaEl = meta?.payload ? parseElement(meta.payload) : undefined;
    const info = metaEl ? avatarMetadataInfo(metaEl) : undefined;
    if (info && info.id === photo.sha1) return photo.sha1;
    const data = await this.publish({ owner, node: NS_AVATAR_DATA, item: { id: photo.sha1, payload: avatarDataElement(photo).toString() } }, { convert: false });
    if (!data.ok) {
      this.log.warn({ condition: data.refusal.condition }, 'vCard photo not published as a PEP avatar');
      return photo.sha1;
    }
    await this.publish({ owner, node: NS_AVATAR_METADATA, item: { id: photo.sha1, payload: avatarMetadataElement(photo).toString() } }, { convert: false });
    return photo.sha1;
  }

  /** XEP-0060 §6.5 items, after the node's access model let the requester in. */
  async items(owner: string, requester: string, node: string, ids: string[] | undefined, max: number | undefined): Promise<{ ok: true; items: PepItemV1[] } | { ok: false; refusal: PepRefusal }> {
    const config = await this.store.node(owner, node);
    if (!config) return { ok: false, refusal: { condition: 'item-not-found' } };
    if (requester !== owner) {
      const refusal = accessRefusal(config, requester, owner, config.accessModel === 'open' || config.accessModel === 'whitelist' ? undefined : await this.rosterOf(owner));
      if (refusal) return { ok: false, refusal };
    }
    const limit = Math.min(max ?? this.config.PROFILE_MAX_ITEMS_PER_NODE, this.config.PROFILE_MAX_ITEMS_PER_NODE);
    return { ok: true, items: await this.store.items(owner, node, ids?.slice(0, this.config.PROFILE_MAX_ITEMS_PER_NODE), limit) };
  }
}
