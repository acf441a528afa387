// profile.qry.private, profile.cmd.set-private: XEP-0049 private XML storage. The
// gateway lets only the owner ask; here each namespace is one row, bounded in size
// and in number.
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { DomainError, PrivateQuery, PrivateResult, ProfileSubjects, SetPrivateCommand } from '@parley/contracts';
import { PrepareJids } from '@parley/nats';
import { parseElement, ProfileService } from '../domain/profile.service';

const validNs = (ns: unknown): ns is string => typeof ns === 'string' && ns.length > 0 && ns.length <= 1024;

@Controller()
export class PrivateHandler {
  constructor(private readonly profile: ProfileService) {}

  @MessagePattern(ProfileSubjects.getPrivate)
  async get(@Payload(new PrepareJids({ owner: 'account' })) q: PrivateQuery): Promise<PrivateResult> {
    if (!validNs(q.ns)) throw new DomainError('bad-request', 'a namespace is required');
    const xml = await this.profile.store.getPrivate(q.owner, q.ns);
    return xml === undefined ? {} : { xml };
  }

  @MessagePattern(ProfileSubjects.setPrivate)
  async set(@Payload(new PrepareJids({ owner: 'account' })) c: SetPrivateCommand): Promise<Record<string, never>> {
    if (!Array.isArray(c.items) || c.items.length === 0) throw new DomainError('bad-request', 'nothing to store');
    const max = this.profile.config.PROFILE_MAX_PRIVATE_BYTES;
    for (const i of c.items) {
      if (!validNs(i?.ns) || typeof i.xml !== 'string') throw new DomainError('bad-request', 'every item needs a namespace and XML');
      if (Buffer.byteLength(i.xml) > max) throw new DomainError('not-acceptable', `a private namespace holds at most ${max} bytes`);
      const el = parseElement(i.xml);
      if (!el || el.attrs.xmlns !== i.ns) throw new DomainError('bad-request', 'the XML must be one element in its namespace');
    }
    if (!(await this.profile.store.setPrivate(c.owner, c.items, this.profile.config.PROFILE_MAX_PRIVATE_NAMESPACES))) {
      throw new DomainError('resource-constraint', `at most ${this.profile.config.PROFILE_MAX_PRIVATE_NAMESPACES} private namespaces per account`, 'wait');
    }
    return {};
  }
}
