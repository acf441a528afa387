// profile.qry.caps, profile.cmd.put-caps: the XEP-0115 cache every gateway shares. A
// gateway verifies a client's disco#info against its hash before putting it; the cache
// holds feature lists of client software, nothing about users.
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CapsQuery, CapsResult, DomainError, ProfileSubjects, PutCapsCommand } from '@parley/contracts';
import { ProfileService } from '../domain/profile.service';

const validKey = (k: unknown): k is string => typeof k === 'string' && k.length > 0 && k.length <= 200;

@Controller()
export class CapsHandler {
  constructor(private readonly profile: ProfileService) {}

  @MessagePattern(ProfileSubjects.getCaps)
  async get(@Payload() q: CapsQuery): Promise<CapsResult> {
    if (!validKey(q.key)) throw new DomainError('bad-request', 'a caps key is required');
    const features = await this.profile.store.getCaps(q.key);
    return features ? { features } : {};
  }

  @MessagePattern(ProfileSubjects.putCaps)
  async put(@Payload() c: PutCapsCommand): Promise<Record<string, never>> {
    if (!validKey(c.key) || !Array.isArray(c.features) || c.features.length > 1000 || c.features.some((f) => typeof f !== 'string' || f.length > 1024)) {
      throw new DomainError('bad-request', 'a caps key and at most 1000 features are required');
    }
    await this.profile.store.putCaps(c.key, c.features, this.profile.config.PROFILE_CAPS_MAX);
    return {};
  }
}
