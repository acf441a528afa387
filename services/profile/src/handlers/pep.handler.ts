// PEP (XEP-0163) requests: publish, retract, delete node, items, nodes, and the last
// items a session that asked for notifications is owed. Refusals carry their XEP-0060
// pubsub#errors condition in the reply (`{ ok: false, refusal }`).
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  DomainError,
  PepDeleteNodeCommand,
  PepConfigureCommand,
  PepItemsQuery,
  PepNodeConfigQuery,
  PepNodeConfigResult,
  PepItemsResult,
  PepLastItemsQuery,
  PepLastItemsResult,
  PepNodesQuery,
  PepNodesResult,
  PepOutcome,
  PepPublishCommand,
  PepPublishResult,
  PepRetractCommand,
  ProfileSubjects,
} from '@parley/contracts';
import { PrepareJids } from '@parley/nats';
import { accessRefusal, requestedConfig } from '../domain/node-config';
import { ProfileService } from '../domain/profile.service';

const validNode = (n: unknown): n is string => typeof n === 'string' && n.length > 0 && n.length <= 1024;
const nodeOf = (n: unknown): string => {
  if (!validNode(n)) throw new DomainError('bad-request', 'a node is required');
  return n;
};

@Controller()
export class PepHandler {
  constructor(private readonly profile: ProfileService) {}

  @MessagePattern(ProfileSubjects.publish)
  publish(@Payload(new PrepareJids({ owner: 'account' })) c: PepPublishCommand): Promise<PepPublishResult> {
    nodeOf(c.node);
    if (c.item?.payload !== undefined && typeof c.item.payload !== 'string') throw new DomainError('bad-request', 'payload must be XML');
    return this.profile.publish(c);
  }

  @MessagePattern(ProfileSubjects.retract)
  async retract(@Payload(new PrepareJids({ owner: 'account' })) c: PepRetractCommand): Promise<PepOutcome> {
    const node = nodeOf(c.node);
    const config = await this.profile.store.node(c.owner, node);
    if (!config) return { ok: false, refusal: { condition: 'item-not-found' } };
    if (typeof c.id !== 'string' || !(await this.profile.store.retract(c.owner, node, c.id))) return { ok: false, refusal: { condition: 'item-not-found' } };
    if (c.notify) await this.profile.notify(c.owner, node, config, { kind: 'retract', item: { id: c.id } });
    return { ok: true };
  }

  @MessagePattern(ProfileSubjects.deleteNode)
  async deleteNode(@Payload(new PrepareJids({ owner: 'account' })) c: PepDeleteNodeCommand): Promise<PepOutcome> {
    const node = nodeOf(c.node);
    const config = await this.profile.store.node(c.owner, node);
    if (!config || !(await this.profile.store.deleteNode(c.owner, node))) return { ok: false, refusal: { condition: 'item-not-found' } };
    await this.profile.notify(c.owner, node, config, { kind: 'delete' });
    return { ok: true };
  }

  @MessagePattern(ProfileSubjects.nodeConfig)
  async nodeConfig(@Payload(new PrepareJids({ owner: 'account' })) q: PepNodeConfigQuery): Promise<PepNodeConfigResult> {
    const config = await this.profile.store.node(q.owner, nodeOf(q.node));
    if (!config) return { ok: false, refusal: { condition: 'item-not-found' } };
    return { ok: true, config, maxItemsLimit: this.profile.config.PROFILE_MAX_ITEMS_PER_NODE };
  }

  /** XEP-0060 §8.2.4: the fields given replace the node's; the others stay. */
  @MessagePattern(ProfileSubjects.configureNode)
  async configure(@Payload(new PrepareJids({ owner: 'account' })) c: PepConfigureCommand): Promise<PepOutcome> {
    const node = nodeOf(c.node);
    const current = await this.profile.store.node(c.owner, node);
    if (!current) return { ok: false, refusal: { condition: 'item-not-found' } };
    const wanted = requestedConfig(c.options && typeof c.options === 'object' ? c.options : {}, this.profile.config.PROFILE_MAX_ITEMS_PER_NODE);
    if ('refusal' in wanted) return { ok: false, refusal: wanted.refusal };
    if (!(await this.profile.store.configure(c.owner, node, { ...current, ...wanted.config }))) return { ok: false, refusal: { condition: 'item-not-found' } };
    return { ok: true };
  }

  @MessagePattern(ProfileSubjects.items)
  items(@Payload(new PrepareJids({ owner: 'account', requester: 'bare' })) q: PepItemsQuery): Promise<PepItemsResult> {
    const ids = Array.isArray(q.ids) ? q.ids.filter((i) => typeof i === 'string') : undefined;
    const max = typeof q.max === 'number' && q.max > 0 ? q.max : undefined;
    return this.profile.items(q.owner, q.requester, nodeOf(q.node), ids, max);
  }

  @MessagePattern(ProfileSubjects.nodes)
  async nodes(@Payload(new PrepareJids({ owner: 'account', requester: 'bare' })) q: PepNodesQuery): Promise<PepNodesResult> {
    const all = await this.profile.store.nodes(q.owner);
    if (q.requester === q.owner) return { nodes: all.map((n) => n.node) };
    const needsRoster = all.some((n) => n.config.accessModel === 'presence' || n.config.accessModel === 'roster');
    const roster = needsRoster ? await this.profile.rosterOf(q.owner) : undefined;
    return { nodes: all.filter((n) => !accessRefusal(n.config, q.requester, q.owner, roster)).map((n) => n.node) };
  }

  /**
   * XEP-0163 §4.3.3 / §6.1: the last item of each `+notify` node of the user and of every
   * contact the user receives presence from (or of the publishers named), that the user
   * may see. A contact's roster is asked (once) only when it has such an item on a node
   * with presence or roster access: the contact decides, blocking included.
   */
  @MessagePattern(ProfileSubjects.lastItems)
  async lastItems(@Payload(new PrepareJids({ user: 'account', publishers: 'bare[]' })) q: PepLastItemsQuery): Promise<PepLastItemsResult> {
    const nodes = Array.isArray(q.nodes) ? q.nodes.filter(validNode).slice(0, 256) : [];
    if (!nodes.length) return { items: [] };
    let publishers = Array.isArray(q.publishers) ? q.publishers : undefined;
    if (!publishers) {
      const mine = await this.profile.rosterOf(q.user);
      publishers = [q.user, ...(mine?.follows ?? [])];
    }
    const rows = await this.profile.store.lastItems([...new Set(publishers)], nodes);
    const rosters = new Map<string, Awaited<ReturnType<ProfileService['rosterOf']>>>();
    const items: PepLastItemsResult['items'] = [];
    for (const r of rows) {
      if (r.owner !== q.user && r.config.accessModel !== 'open') {
        if (r.config.accessModel === 'whitelist') continue;
        if (!rosters.has(r.owner)) rosters.set(r.owner, await this.profile.rosterOf(r.owner));
        if (accessRefusal(r.config, q.user, r.owner, rosters.get(r.owner))) continue;
      }
      items.push({ publisher: r.owner, node: r.node, item: r.item });
    }
    return { items };
  }
}
