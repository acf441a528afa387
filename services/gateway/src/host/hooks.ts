// Hooks: named, typed extension points with explicit priorities (as Prosody's
// module:hook(name, handler, priority)). Higher priorities run first; equal ones in
// registration order. A hook is one of three kinds:
// - `until`: handlers are awaited one after the other; the first that returns true
//   consumes the event and the rest are skipped (stanza hooks);
// - `serial`: every handler is awaited one after the other (work after initial presence);
// - `each`: every handler is called at once; a throw or a rejected promise is logged
//   and the others still run (notifications such as "a session ended").
import type { Logger } from 'pino';

export type HookKind = 'until' | 'serial' | 'each';

type HandlerResult<K extends HookKind> = K extends 'until' ? boolean | Promise<boolean> : K extends 'serial' ? void | Promise<void> : void | Promise<void>;

/** A hook's identity and the type of the event its handlers receive. */
export interface Hook<E, K extends HookKind = HookKind> {
  readonly name: string;
  readonly kind: K;
  /** Phantom: the event type. */
  readonly __event?: E;
}

/** A handler of hook `H`. */
export type HookHandler<E, K extends HookKind> = (event: E) => HandlerResult<K>;

/** Declares a hook. Modules that offer an extension point declare it in their `api.ts`. */
export function defineHook<E, K extends HookKind>(name: string, kind: K): Hook<E, K> {
  return { name, kind };
}

interface Entry {
  handler: (e: unknown) => unknown;
  priority: number;
  seq: number;
  owner: string;
}

/** One gateway's hook handlers. */
export class Hooks {
  private readonly lists = new Map<Hook<unknown>, Entry[]>();
  private seq = 0;

  constructor(private readonly log: Logger) {}

  /** Adds a handler; returns a function that removes it. */
  add<E, K extends HookKind>(hook: Hook<E, K>, handler: HookHandler<E, K>, priority = 0, owner = 'core'): () => void {
    let list = this.lists.get(hook as Hook<unknown>);
    if (!list) this.lists.set(hook as Hook<unknown>, (list = []));
    const entry: Entry = { handler: handler as (e: unknown) => unknown, priority, seq: this.seq++, owner };
    list.push(entry);
    list.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    return () => {
      const i = list.indexOf(entry);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** Whether any handler listens (lets hot paths skip building an event). */
  has(hook: Hook<unknown>): boolean {
    return (this.lists.get(hook)?.length ?? 0) > 0;
  }

  /** Names of the modules handling `hook`, in the order they run (for tests and diagnostics). */
  order(hook: Hook<unknown>): string[] {
    return (this.lists.get(hook) ?? []).map((e) => e.owner);
  }

  /** Runs an `until` hook: true when a handler consumed the event. */
  async until<E>(hook: Hook<E, 'until'>, event: E): Promise<boolean> {
    const list = this.lists.get(hook as Hook<unknown>);
    if (!list) return false;
    for (const e of list) if (await e.handler(event)) return true;
    return false;
  }

  /** Runs a `serial` hook: each handler awaited in turn. */
  async serial<E>(hook: Hook<E, 'serial'>, event: E): Promise<void> {
    const list = this.lists.get(hook as Hook<unknown>);
    if (!list) return;
    for (const e of list) await e.handler(event);
  }

  /** Runs an `each` hook: every handler, failures logged and contained. */
  each<E>(hook: Hook<E, 'each'>, event: E): void {
    const list = this.lists.get(hook as Hook<unknown>);
    if (!list) return;
    for (const e of list) {
      try {
        const r = e.handler(event) as Promise<void> | void;
        if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch((err) => this.log.error({ err, hook: hook.name, module: e.owner }, 'hook failed'));
      } catch (err) {
        this.log.error({ err, hook: hook.name, module: e.owner }, 'hook failed');
      }
    }
  }
}
