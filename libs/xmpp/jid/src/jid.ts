// The Jid value type (RFC 7622): three prepared parts, compared as strings.
// Every Jid that exists has been prepared, so equal addresses are equal values.

import { JidError, prepareDomainpart, prepareLocalpart, prepareResourcepart } from './prep';

/** An XMPP address, `local@domain/resource`, with every part already prepared. */
export class Jid {
  /** Prepared localpart, '' when absent. */
  readonly local: string;
  /** Prepared domainpart (never empty). */
  readonly domain: string;
  /** Prepared resourcepart (case preserved), '' when absent. */
  readonly resource: string;
  // Computed eagerly (not cached lazily) so that equal JIDs are also deep-equal objects.
  private readonly str: string;

  /**
   * Prepares and validates the parts (same as `makeJid`); throws JidError.
   * An empty `local` or `resource` means the part is absent.
   */
  constructor(local: string, domain: string, resource = '') {
    this.local = local === '' ? '' : prepareLocalpart(local);
    this.domain = prepareDomainpart(domain);
    this.resource = resource === '' ? '' : prepareResourcepart(resource);
    this.str = format(this.local, this.domain, this.resource);
  }

  /** The bare JID (`local@domain`); this very object when it is already bare. */
  get bare(): Jid {
    return this.resource === '' ? this : fromPrepared(this.local, this.domain, '');
  }

  /** True when there is no resourcepart. */
  get isBare(): boolean {
    return this.resource === '';
  }

  /** `local@domain` (or `domain`) as a string. */
  get bareString(): string {
    return this.local === '' ? this.domain : `${this.local}@${this.domain}`;
  }

  /** The full JID as a string. */
  toString(): string {
    return this.str;
  }

  /** JSON form: the JID string. */
  toJSON(): string {
    return this.str;
  }

  /** True when all three parts are equal. */
  equals(other: Jid): boolean {
    return this.domain === other.domain && this.local === other.local && this.resource === other.resource;
  }

  /** The same bare JID with another resource (prepared); '' gives the bare JID. */
  withResource(resource: string): Jid {
    if (resource === '') return this.bare;
    return fromPrepared(this.local, this.domain, prepareResourcepart(resource));
  }
}

function format(local: string, domain: string, resource: string): string {
  const bare = local === '' ? domain : `${local}@${domain}`;
  return resource === '' ? bare : `${bare}/${resource}`;
}

/** Builds a Jid from parts that are known to be prepared already. */
function fromPrepared(local: string, domain: string, resource: string): Jid {
  const j = Object.create(Jid.prototype) as Record<'local' | 'domain' | 'resource' | 'str', string>;
  j.local = local;
  j.domain = domain;
  j.resource = resource;
  j.str = format(local, domain, resource);
  return j as unknown as Jid;
}

/**
 * Parses and prepares a JID string (RFC 7622 §3.1): the resourcepart starts
 * at the first '/', the localpart ends at the first '@' before it. Throws
 * JidError for empty parts (`@domain`, `user@`, `a@b/`), parts over 1023
 * bytes, or characters a part does not allow.
 */
export function parseJid(s: string): Jid {
  if (typeof s !== 'string') throw new JidError('JID must be a string');
  const hit = prepared.get(s);
  if (hit) return hit;
  const jid = prepare(s);
  if (prepared.size >= PREPARED_MAX) prepared.clear();
  prepared.set(s, jid);
  return jid;
}

/**
 * Prepared JIDs by their input string. Preparation (PRECIS) is the costly part of
 * reading an address, and a process sees the same few addresses over and over (a
 * burst of messages to one user, every request naming its user); a Jid is immutable,
 * so one may be shared. Bounded: emptied when full.
 */
const prepared = new Map<string, Jid>();
const PREPARED_MAX = 10_000;

function prepare(s: string): Jid {
  const slash = s.indexOf('/');
  const head = slash < 0 ? s : s.slice(0, slash);
  const at = head.indexOf('@');
  if (at === 0) throw new JidError('empty localpart');
  if (slash === s.length - 1) throw new JidError('empty resourcepart');
  const local = at < 0 ? '' : head.slice(0, at);
  const domain = at < 0 ? head : head.slice(at + 1);
  const resource = slash < 0 ? '' : s.slice(slash + 1);
  if (domain === '') throw new JidError('empty domainpart');
  return new Jid(local, domain, resource);
}

/** Builds a JID from parts, preparing each as parseJid does; '' means absent. Throws JidError. */
export function makeJid(local: string, domain: string, resource?: string): Jid {
  return new Jid(local, domain, resource ?? '');
}

/** parseJid that returns undefined instead of throwing JidError. */
export function tryParseJid(s: string): Jid | undefined {
  try {
    return parseJid(s);
  } catch (e) {
    if (e instanceof JidError) return undefined;
    throw e;
  }
}
