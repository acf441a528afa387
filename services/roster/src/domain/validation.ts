// RFC 6121 §2.3.3: what a roster set may contain. Pure; the handler maps the
// failures to stanza errors.

/** Limits of roster items, from configuration. */
export interface ItemLimits {
  /** Longest item name, in characters (Unicode code points). */
  maxNameLength: number;
  /** Longest group name, in characters. */
  maxGroupLength: number;
  /** Most groups on one item. */
  maxGroups: number;
}

/** A roster set the server refuses, with the RFC 6120 condition to answer. */
export class InvalidRosterItem extends Error {
  constructor(
    readonly condition: 'bad-request' | 'not-acceptable',
    message: string,
  ) {
    super(message);
    this.name = 'InvalidRosterItem';
  }
  static duplicateGroup(group: string): InvalidRosterItem {
    return new InvalidRosterItem('bad-request', `the group "${group}" appears more than once`);
  }
  static emptyGroup(): InvalidRosterItem {
    return new InvalidRosterItem('not-acceptable', 'a group name must not be empty (omit <group/> to put the item in no group)');
  }
  static groupTooLong(max: number): InvalidRosterItem {
    return new InvalidRosterItem('not-acceptable', `a group name may have at most ${max} characters`);
  }
  static nameTooLong(max: number): InvalidRosterItem {
    return new InvalidRosterItem('not-acceptable', `the item name may have at most ${max} characters`);
  }
  static tooManyGroups(max: number): InvalidRosterItem {
    return new InvalidRosterItem('not-acceptable', `an item may be in at most ${max} groups`);
  }
  static notText(field: string): InvalidRosterItem {
    return new InvalidRosterItem('bad-request', `${field} must be text`);
  }
}

const length = (s: string) => [...s].length;

/**
 * Checks and normalises the name and groups of a roster set: an empty name means
 * none; groups keep the client's order. Throws {@link InvalidRosterItem}.
 */
export function validateItemFields(input: { name?: unknown; groups?: unknown }, limits: ItemLimits): { name?: string; groups: string[] } {
  let name: string | undefined;
  if (input.name !== undefined && input.name !== null) {
    if (typeof input.name !== 'string') throw InvalidRosterItem.notText('name');
    if (length(input.name) > limits.maxNameLength) throw InvalidRosterItem.nameTooLong(limits.maxNameLength);
    name = input.name === '' ? undefined : input.name;
  }
  const groups: string[] = [];
  if (input.groups !== undefined && input.groups !== null) {
    if (!Array.isArray(input.groups)) throw InvalidRosterItem.notText('groups');
    const seen = new Set<string>();
    for (const g of input.groups) {
      if (typeof g !== 'string') throw InvalidRosterItem.notText('a group');
      if (g.length === 0) throw InvalidRosterItem.emptyGroup();
      if (length(g) > limits.maxGroupLength) throw InvalidRosterItem.groupTooLong(limits.maxGroupLength);
      if (seen.has(g)) throw InvalidRosterItem.duplicateGroup(g);
      seen.add(g);
      groups.push(g);
    }
    if (groups.length > limits.maxGroups) throw InvalidRosterItem.tooManyGroups(limits.maxGroups);
  }
  return { name, groups };
}

/** Cuts a status text to at most `max` characters (it is only ever shown to the user). */
export function boundedStatus(status: unknown, max: number): string | undefined {
  if (typeof status !== 'string' || status === '') return undefined;
  const chars = [...status];
  return chars.length > max ? chars.slice(0, max).join('') : status;
}
