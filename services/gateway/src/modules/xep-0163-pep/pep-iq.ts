// XEP-0163 requests to an account's bare JID, decoded with the @parley/xep codecs and
// answered by the profile service: the owner publishes, retracts and deletes nodes;
// anyone may ask for items, and the service's access model decides.
import {
  PepDeleteNodeCommand,
  PepConfigureCommand,
  PepItemsQuery,
  PepNodeConfigQuery,
  PepNodeConfigResult,
  PepItemsResult,
  PepOutcome,
  PepPublishCommand,
  PepPublishResult,
  PepRefusal,
  ProfileSubjects,
} from '@parley/contracts';
import { StanzaError } from '@parley/stanza';
import { itemsResult, nodeConfigForm, pepRequestFromElement, publishResult, pubsubError } from '@parley/xep';
import { Element, parseXml } from '@parley/xml';
import { IqHandler, ModuleContext, serviceError } from '../../host';

const refused = (r: PepRefusal): StanzaError => pubsubError(r.condition, r.pubsub, r.text, r.type);

function payloadOf(xml: string | undefined): Element | undefined {
  if (xml === undefined) return undefined;
  try {
    return parseXml(xml);
  } catch {
    return undefined;
  }
}

export function pepIqHandler(ctx: ModuleContext, type: 'get' | 'set'): IqHandler {
  const ask = async <T>(subject: string, data: object): Promise<T> => {
    try {
      return await ctx.bus.request<T>(subject, data);
    } catch (e) {
      throw serviceError(e, 'profile service');
    }
  };
  return async (iq, session, target) => {
    const ps = iq.children.find((c): c is Element => typeof c !== 'string');
    if (!ps) throw StanzaError.badRequest();
    const req = pepRequestFromElement(type, ps);
    const owner = target.bare;
    if (req.kind === 'items') {
      const r = await ask<PepItemsResult>(ProfileSubjects.items, { owner, requester: session.bare, node: req.node, ids: req.ids, max: req.max } satisfies PepItemsQuery);
      if (!r.ok) throw refused(r.refusal);
      return itemsResult(req.node, r.items.map((i) => ({ id: i.id, payload: payloadOf(i.payload) })));
    }
    // XEP-0163 §7: only the account owner publishes to, retracts from or deletes its nodes
    if (session.bare !== owner) throw StanzaError.forbidden();
    if (req.kind === 'publish') {
      const r = await ask<PepPublishResult>(ProfileSubjects.publish, {
        owner,
        node: req.node,
        item: { id: req.item.id, payload: req.item.payload?.toString() },
        options: req.options,
      } satisfies PepPublishCommand);
      if (!r.ok) throw refused(r.refusal);
      return publishResult(req.node, r.id);
    }
    if (req.kind === 'retract') {
      const r = await ask<PepOutcome>(ProfileSubjects.retract, { owner, node: req.node, id: req.id, notify: req.notify });
      if (!r.ok) throw refused(r.refusal);
      return undefined;
    }
    if (req.kind === 'configure-get') {
      const r = await ask<PepNodeConfigResult>(ProfileSubjects.nodeConfig, { owner, node: req.node } satisfies PepNodeConfigQuery);
      if (!r.ok) throw refused(r.refusal);
      return nodeConfigForm(req.node, r.config, r.maxItemsLimit);
    }
    if (req.kind === 'configure') {
      const r = await ask<PepOutcome>(ProfileSubjects.configureNode, { owner, node: req.node, options: req.options } satisfies PepConfigureCommand);
      if (!r.ok) throw refused(r.refusal);
      return undefined;
    }
    const r = await ask<PepOutcome>(ProfileSubjects.deleteNode, { owner, node: req.node } satisfies PepDeleteNodeCommand);
    if (!r.ok) throw refused(r.refusal);
    return undefined;
  };
}
