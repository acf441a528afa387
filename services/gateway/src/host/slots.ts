// Typed keys for data a module attaches to something it does not own: a session
// (per-session module state) or one stanza on its way through the router. Only the
// module holding a key reads or writes its value; a module may export a key in its
// `api.ts` when others are meant to read it.

/** A typed key. `name` is for diagnostics only; identity is the object. */
export interface Slot<T> {
  readonly name: string;
  /** Phantom: the value type. */
  readonly __value?: T;
}

/** Declares a key. */
export function defineSlot<T>(name: string): Slot<T> {
  return { name };
}

/** A small typed map of slot → value, created lazily (most stanzas carry nothing). */
export class SlotMap {
  private m?: Map<Slot<unknown>, unknown>;

  get<T>(slot: Slot<T>): T | undefined {
    return this.m?.get(slot as Slot<unknown>) as T | undefined;
  }

  set<T>(slot: Slot<T>, value: T): void {
    (this.m ??= new Map()).set(slot as Slot<unknown>, value);
  }

  has(slot: Slot<unknown>): boolean {
    return this.m?.has(slot) ?? false;
  }

  delete(slot: Slot<unknown>): void {
    this.m?.delete(slot);
  }

  /** The value, created by `init` on first use. */
  ensure<T>(slot: Slot<T>, init: () => T): T {
    let v = this.get(slot);
    if (v === undefined) this.set(slot, (v = init()));
    return v;
  }
}
