// XEP-0049: Private XML Storage — per namespace, only the account's owner reads or
// writes it (anyone else gets `forbidden`, whatever is stored). Kept by the profile service.
import { PrivateQuery, PrivateResult, ProfileSubjects, SetPrivateCommand } from '@parley/contracts';
import { StanzaError } from '@parley/stanza';
import { Element, parseXml, x } from '@parley/xml';
import { defineModule, ModuleContext, serviceError } from '../../host';

export const NS_PRIVATE = 'jabber:iq:private';

/** §3: namespaces that cannot be stored (and a child without its own namespace). */
const RESERVED = new Set(['jabber:client', 'jabber:server', 'jabber:iq:private', 'http://etherx.jabber.org/streams']);

function children(q: Element): Element[] {
  const out = q.children.filter((c): c is Element => typeof c !== 'string');
  for (const c of out) if (!c.attrs.xmlns || RESERVED.has(c.attrs.xmlns)) throw StanzaError.notAcceptable('each element needs a namespace of its own');
  return out;
}

async function ask<T>(ctx: ModuleContext, subject: string, data: object): Promise<T> {
  try {
    return await ctx.bus.request<T>(subject, data);
  } catch (e) {
    throw serviceError(e, 'profile service');
  }
}

export const privateModule = defineModule({
  name: 'xep-0049-private',
  init(ctx) {
    ctx.accountFeature(NS_PRIVATE);

    ctx.iq('get', 'account', NS_PRIVATE, async (iq, session, target) => {
      if (session.bare !== target.bare) throw StanzaError.forbidden();
      const q = iq.getChild('query', NS_PRIVATE)!;
      const kids = children(q);
      if (kids.length !== 1) throw StanzaError.notAcceptable('ask for exactly one element');
      const r = await ask<PrivateResult>(ctx, ProfileSubjects.getPrivate, { owner: session.bare, ns: kids[0].attrs.xmlns! } satisfies PrivateQuery);
      let stored: Element | undefined;
      if (r.xml) {
        try {
          stored = parseXml(r.xml);
        } catch {
          ctx.log.warn('stored private XML does not parse');
        }
      }
      // §3.1: nothing stored → the element as asked for, empty
      return x('query', { xmlns: NS_PRIVATE }, stored ?? x(kids[0].name, { xmlns: kids[0].attrs.xmlns }));
    });

    ctx.iq('set', 'account', NS_PRIVATE, async (iq, session, target) => {
      if (session.bare !== target.bare) throw StanzaError.forbidden();
      const kids = children(iq.getChild('query', NS_PRIVATE)!);
      if (!kids.length) throw StanzaError.notAcceptable('nothing to store');
      await ask(ctx, ProfileSubjects.setPrivate, { owner: session.bare, items: kids.map((k) => ({ ns: k.attrs.xmlns!, xml: k.toString() })) } satisfies SetPrivateCommand);
      return undefined;
    });
  },
});
