// profile.qry.vcard, profile.cmd.set-vcard, profile.qry.avatar-hash: XEP-0054 vcard-temp
// with the XEP-0153 hash and the XEP-0398 conversion (ProfileService); profile.qry.export.
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AvatarHashQuery, AvatarHashResult, DomainError, ProfileExportQuery, ProfileExportResult, ProfileSubjects, SetVCardCommand, SetVCardResult, VCardQuery, VCardResult } from '@parley/contracts';
import { PrepareJids } from '@parley/nats';
import { NS_VCARD } from '@parley/xep';
import { parseElement, ProfileService } from '../domain/profile.service';

@Controller()
export class VCardHandler {
  constructor(private readonly profile: ProfileService) {}

  @MessagePattern(ProfileSubjects.getVCard)
  async get(@Payload(new PrepareJids({ owner: 'account' })) q: VCardQuery): Promise<VCardResult> {
    const v = await this.profile.store.getVCard(q.owner);
    return v ? { vcard: v.xml } : {};
  }

  @MessagePattern(ProfileSubjects.setVCard)
  async set(@Payload(new PrepareJids({ owner: 'account' })) c: SetVCardCommand): Promise<SetVCardResult> {
    if (typeof c.vcard !== 'string') throw new DomainError('bad-request', 'vcard must be XML');
    if (Buffer.byteLength(c.vcard) > this.profile.config.PROFILE_MAX_VCARD_BYTES) throw new DomainError('not-acceptable', `a vCard holds at most ${this.profile.config.PROFILE_MAX_VCARD_BYTES} bytes`);
    const el = parseElement(c.vcard);
    if (!el || el.name !== 'vCard' || el.attrs.xmlns !== NS_VCARD) throw new DomainError('bad-request', "expected <vCard xmlns='vcard-temp'/>");
    return { photoHash: await this.profile.setVCard(c.owner, el) };
  }

  @MessagePattern(ProfileSubjects.avatarHash)
  async hash(@Payload(new PrepareJids({ owner: 'account' })) q: AvatarHashQuery): Promise<AvatarHashResult> {
    const v = await this.profile.store.getVCard(q.owner);
    return v ? { photoHash: v.photoHash } : {};
  }

  /** Data export: the user's vCard, private XML and PEP nodes with their items. */
  @MessagePattern(ProfileSubjects.export)
  export(@Payload(new PrepareJids({ owner: 'account' })) q: ProfileExportQuery): Promise<ProfileExportResult> {
    return this.profile.store.export(q.owner);
  }
}
