// XEP-0013: Flexible Offline Message Retrieval — message count and headers through
// disco on the node `http://jabber.org/protocol/offline`, view / fetch / remove / purge
// through `<offline/>` IQs. A session that uses any of it gets no backlog pushed at
// initial presence (§2.2, §2.6), nor does another resource of the user while it is on.
// Viewing or fetching never deletes (§2.5): only remove, purge (or expiry) do.
import {
  OfflineCountResult,
  OfflineDeletedResult,
  OfflineFetchQuery,
  OfflineFetchResult,
  OfflineHeadersQuery,
  OfflineHeadersResult,
  OfflineIdsCommand,
  OfflineMessageV1,
  OfflineSubjects,
  OfflineUserQuery,
} from '@parley/contracts';
import { NS, StanzaError } from '@parley/stanza';
import { dataForm } from '@parley/xep';
import { Element, parseXml, x } from '@parley/xml';
import type { IqHandler, ModuleContext, Session } from '../../host';
import type { FromStorage } from './from-storage';
import { offlineState, stanzaErrorOf } from './session-state';

/** Most nodes the offline service looks up per view request. */
const VIEW_CHUNK = 100;
/** Most nodes the offline service removes per request (removal is all or nothing, so no chunking). */
const MAX_REMOVE = 1000;
/** Messages per fetch page, headers per headers page. */
const FETCH_PAGE = 100;
const HEADERS_PAGE = 1000;

type Target = { bare: string; local: string };

/** Registers XEP-0013 on the gateway. */
export function registerFlexibleRetrieval(ctx: ModuleContext<unknown>, fromStorage: FromStorage): void {
  ctx.serverFeature(NS.offline);
  ctx.accountFeature(NS.offline);

  const ask = async <T>(subject: string, data: object): Promise<T> => {
    try {
      return await ctx.bus.request<T>(subject, data);
    } catch (e) {
      throw stanzaErrorOf(e);
    }
  };

  /** §2.3 & §5: only the user's own resources; asked without 'to' (or to the server), or to their own bare JID. */
  const own = (session: Session, target: Target): void => {
    if (target.local !== '' && target.bare !== session.bare) throw StanzaError.forbidden('only the account itself can read its offline messages');
    offlineState(session).flexible = true;
  };

  /** Every message of the user (in arrival order, `<delay/>` stamped), page by page. */
  async function* allMessages(user: string, ids?: string[]): AsyncGenerator<OfflineMessageV1[]> {
    let after: string | undefined;
    do {
      const page = await ask<OfflineFetchResult>(OfflineSubjects.fetch, { user, ids, after, limit: FETCH_PAGE, stampDelay: true } satisfies OfflineFetchQuery);
      yield page.messages;
      after = page.next;
    } while (after);
  }

  ctx.discoNode(NS.offline, {
    // §2.2: the number of messages.
    async info(session, target) {
      own(session, target);
      const { count } = await ask<OfflineCountResult>(OfflineSubjects.count, { user: session.bare } satisfies OfflineUserQuery);
      return [
        x('identity', { category: 'automation', type: 'message-list' }),
        x('feature', { var: NS.offline }),
        dataForm.toElement({
          type: 'result',
          fields: [
            { var: 'FORM_TYPE', type: 'hidden', values: [NS.offline] },
            { var: 'number_of_messages', values: [String(count)] },
          ],
        }),
      ];
    },
    // §2.3: one header per message: jid = the user, node = message id, name = sender's full JID.
    async items(session, target) {
      own(session, target);
      const items: Element[] = [];
      let after: string | undefined;
      do {
        const page = await ask<OfflineHeadersResult>(OfflineSubjects.headers, { user: session.bare, after, limit: HEADERS_PAGE } satisfies OfflineHeadersQuery);
        for (const h of page.items) items.push(x('item', { jid: session.bare, node: h.id, name: h.from }));
        after = page.next;
      } while (after);
      return items;
    },
  });

  const write = (session: Session, m: OfflineMessageV1): void => {
    session.send(tagged(m));
    fromStorage.written(session, m);
  };

  const handler: IqHandler = async (iq, session, target) => {
    own(session, target);
    const q = iq.getChild('offline', NS.offline)!;
    const items = q.getChildren('item');
    const nodes = (action: string): string[] | undefined =>
      items.length > 0 && items.every((i) => i.attrs.action === action && !!i.attrs.node) ? [...new Set(items.map((i) => i.attrs.node))] : undefined;

    if (iq.attrs.type === 'get') {
      // §2.6: fetch all (sent before the result, as the example shows).
      if (q.getChild('fetch')) {
        for await (const page of allMessages(session.bare)) for (const m of page) write(session, m);
        return undefined;
      }
      // §2.4: view; every node is looked up before any is sent, so an unknown one sends nothing.
      const view = nodes('view');
      if (view) {
        const found: OfflineMessageV1[] = [];
        for (let i = 0; i < view.length; i += VIEW_CHUNK) for await (const page of allMessages(session.bare, view.slice(i, i + VIEW_CHUNK))) found.push(...page);
        found.sort((a, b) => (a.arrivedAt < b.arrivedAt ? -1 : a.arrivedAt > b.arrivedAt ? 1 : 0));
        for (const m of found) write(session, m);
        return undefined;
      }
      throw StanzaError.badRequest("expected <fetch/> or <item action='view' node='…'/>");
    }
    // §2.7: purge.
    if (q.getChild('purge')) {
      await ask<OfflineDeletedResult>(OfflineSubjects.purge, { user: session.bare } satisfies OfflineUserQuery);
      return undefined;
    }
    // §2.5: remove, all or nothing; item-not-found when a node does not exist.
    const remove = nodes('remove');
    if (remove) {
      if (remove.length > MAX_REMOVE) throw StanzaError.badRequest(`remove at most ${MAX_REMOVE} messages per request`);
      await ask<OfflineDeletedResult>(OfflineSubjects.remove, { user: session.bare, ids: remove } satisfies OfflineIdsCommand);
      return undefined;
    }
    throw StanzaError.badRequest("expected <purge/> or <item action='remove' node='…'/>");
  };
  for (const target of ['account', 'server'] as const) {
    ctx.iq('get', target, NS.offline, handler);
    ctx.iq('set', target, NS.offline, handler);
  }
}

/** §2.4: a viewed or fetched message carries its node: `<offline><item node='…'/></offline>`. */
function tagged(m: OfflineMessageV1): string {
  let el: Element;
  try {
    el = parseXml(m.stanza);
  } catch {
    return m.stanza;
  }
  return el.append(x('offline', { xmlns: NS.offline }, x('item', { node: m.id }))).toString();
}
