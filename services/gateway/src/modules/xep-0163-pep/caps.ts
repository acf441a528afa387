// XEP-0115 on the gateway: what a session's caps say it wants notified. A `<c/>` in a
// client's broadcast presence is looked up in this gateway's memory, then in the
// cache the profile service keeps for every gateway; an unknown hash is asked of the
// client (disco#info to its full JID, from the server), verified (§5.4) and shared.
// An answer that does not hash to `ver` is used for nobody, not even that session.
import { CapsQuery, CapsResult, ProfileSubjects, PutCapsCommand } from '@parley/contracts';
import { NS } from '@parley/stanza';
import { capsHashSupported, capsVer, discoInfoFromElement, notifyNodes, type CapsElement } from '@parley/xep';
import { Element, x } from '@parley/xml';
import { randomUUID } from 'node:crypto';
import { defineSlot, ModuleContext, Session } from '../../host';

/** Verified caps kept in memory per gateway. */
const LOCAL_CACHE_MAX = 5000;
/** How long a client has to answer the disco#info query. */
const DISCO_TIMEOUT_MS = 15_000;

interface CapsState {
  key?: string;
  notify: Set<string>;
}

const STATE = defineSlot<CapsState>('xep-0163-pep/caps');
const EMPTY: ReadonlySet<string> = new Set();

export class Caps {
  private readonly cache = new Map<string, string[]>();
  private readonly inflight = new Map<string, Promise<string[] | undefined>>();
  private readonly queries = new Map<string, { session: Session; resolve: (q: Element | undefined) => void; timer: NodeJS.Timeout }>();

  constructor(
    private readonly ctx: ModuleContext,
    /** Called when a session starts asking for nodes it did not ask for before. */
    private readonly onNewNodes: (session: Session, nodes: string[]) => void,
  ) {}

  /** What a session moving to another gateway (XEP-0198 resumption) takes along: its caps and +notify nodes. */
  exportState(session: Session): { key?: string; notify: string[] } {
    const st = session.state.get(STATE);
    return { ...(st?.key ? { key: st.key } : {}), notify: [...(st?.notify ?? [])] };
  }

  importState(session: Session, moved: unknown): void {
    const m = moved as { key?: unknown; notify?: unknown } | undefined;
    if (!m || !Array.isArray(m.notify)) return;
    session.state.set(STATE, { key: typeof m.key === 'string' ? m.key : undefined, notify: new Set(m.notify.filter((n): n is string => typeof n === 'string')) });
  }

  notifyNodes(session: Session): ReadonlySet<string> {
    return session.state.get(STATE)?.notify ?? EMPTY;
  }

  /** A client's broadcast presence carried `caps`: learn what it wants (in the background). */
  seen(session: Session, caps: CapsElement): void {
    const state = session.state.ensure(STATE, (): CapsState => ({ notify: new Set<string>() }));
    const key = `${caps.hash}:${caps.ver}`;
    if (state.key === key) return;
    state.key = key;
    void this.features(session, caps, key)
      .then((features) => {
        if (state.key !== key || session.closed) return;
        if (!features) state.key = undefined; // unknown or unverified: the next presence with caps tries again
        const nodes = notifyNodes(features ?? []);
        const added = nodes.filter((n) => !state.notify.has(n));
        state.notify = new Set(nodes);
        if (added.length) this.onNewNodes(session, added);
      })
      .catch((err) => this.ctx.log.warn({ err: (err as Error).message }, 'caps lookup failed'));
  }

  /** An IQ result or error from a client to the server: true when it answers one of our queries. */
  answer(session: Session, iq: Element): boolean {
    const q = iq.attrs.id ? this.queries.get(iq.attrs.id) : undefined;
    if (!q || q.session !== session) return false;
    this.queries.delete(iq.attrs.id!);
    clearTimeout(q.timer);
    q.resolve(iq.attrs.type === 'result' ? iq.getChild('query', NS.discoInfo) : undefined);
    return true;
  }

  stop(): void {
    for (const q of this.queries.values()) {
      clearTimeout(q.timer);
      q.resolve(undefined);
    }
    this.queries.clear();
  }

  private async features(session: Session, caps: CapsElement, key: string): Promise<string[] | undefined> {
    const local = this.cache.get(key);
    if (local) return local;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.lookup(session, caps, key).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private remember(key: string, features: string[]): void {
    if (this.cache.size >= LOCAL_CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, features);
  }

  private async lookup(session: Session, caps: CapsElement, key: string): Promise<string[] | undefined> {
    try {
      const shared = await this.ctx.bus.request<CapsResult>(ProfileSubjects.getCaps, { key } satisfies CapsQuery);
      if (shared.features) {
        this.remember(key, shared.features);
        return shared.features;
      }
    } catch (err) {
      this.ctx.log.debug({ err: (err as Error).message }, 'shared caps cache not available; asking the client');
    }
    if (!capsHashSupported(caps.hash)) return undefined;
    const query = await this.ask(session, `${caps.node}#${caps.ver}`);
    if (!query) return undefined;
    const info = discoInfoFromElement(query);
    if (capsVer(info, caps.hash) !== caps.ver) {
      this.ctx.log.info({ hash: caps.hash }, 'caps answer does not match its hash; ignored');
      return undefined;
    }
    this.remember(key, info.features);
    try {
      await this.ctx.bus.request(ProfileSubjects.putCaps, { key, features: info.features } satisfies PutCapsCommand);
    } catch (err) {
      this.ctx.log.debug({ err: (err as Error).message }, 'verified caps not shared');
    }
    return info.features;
  }

  private ask(session: Session, node: string): Promise<Element | undefined> {
    const id = `caps-${randomUUID()}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.queries.delete(id);
        resolve(undefined);
      }, DISCO_TIMEOUT_MS);
      timer.unref();
      this.queries.set(id, { session, resolve, timer });
      session.send(x('iq', { type: 'get', id, from: this.ctx.domain, to: session.full }, x('query', { xmlns: NS.discoInfo, node })));
    });
  }
}
