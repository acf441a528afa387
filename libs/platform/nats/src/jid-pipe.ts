// Input preparation at the bus edge: JIDs in a request payload are prepared with
// @parley/jid (RFC 7622) once, by a pipe on the controller's @Payload, instead of by
// each handler: `@Payload(new PrepareJids({ user: 'account', contact: 'bare' }))`.
import { PipeTransform } from '@nestjs/common';
import { tryParseJid } from '@parley/jid';
import { ReplyException } from './errors';
import { BusContext } from './transport';

/**
 * What a field must hold: `account` a JID with a localpart, given as its bare form;
 * `bare` any JID, given as its bare form; `full` any JID, as prepared. A trailing `?`
 * makes the field optional; `[]` means an array of them (an absent or non-array value
 * is left for the handler to refuse).
 */
export type JidForm = 'account' | 'bare' | 'full';
export type JidFieldSpec = JidForm | `${JidForm}?` | `${JidForm}[]`;

/**
 * Prepares the named JID fields of a payload (dotted paths reach into nested objects, a
 * segment `name[]` into every element of an array: `data.changes[].jid`); `jid-malformed`
 * (or `condition`) otherwise.
 */
export class PrepareJids implements PipeTransform {
  constructor(
    private readonly fields: Record<string, JidFieldSpec>,
    private readonly condition = 'jid-malformed',
  ) {}

  transform(value: unknown): unknown {
    if (value instanceof BusContext || typeof value !== 'object' || value === null) return value; // the object pipe refuses non-objects
    const out = structuredClone(value) as Record<string, unknown>;
    for (const [path, spec] of Object.entries(this.fields)) {
      const keys = path.split('.');
      const form = spec.replace(/[?[\]]/g, '') as JidForm;
      // the objects holding the field: a segment `name[]` steps into every element of an array
      let holders: Array<Record<string, unknown>> = [out];
      for (const k of keys.slice(0, -1)) {
        const each = k.endsWith('[]');
        const name = each ? k.slice(0, -2) : k;
        holders = holders.flatMap((h) => {
          const next: unknown = h[name];
          const objects = each ? (Array.isArray(next) ? next : []) : [next];
          return objects.filter((o): o is Record<string, unknown> => typeof o === 'object' && o !== null && !Array.isArray(o));
        });
      }
      const key = keys[keys.length - 1];
      for (const holder of holders) {
        // a missing parent is the handler's to refuse
        const v = holder[key];
        if (spec.endsWith('[]')) {
          if (Array.isArray(v)) holder[key] = v.map((x) => this.prepare(x, form, path));
        } else if (!(spec.endsWith('?') && v === undefined)) holder[key] = this.prepare(v, form, path);
      }
    }
    return out;
  }

  private prepare(v: unknown, form: JidForm, path: string): string {
    if (typeof v !== 'string' || v === '') throw ReplyException.of(this.condition, `${path} is missing`);
    const jid = tryParseJid(v);
    if (!jid) throw ReplyException.of(this.condition, `${path} is not a valid JID`);
    if (form === 'account' && !jid.local) throw ReplyException.of(this.condition, `${path} must be an account JID (localpart@domain)`);
    return form === 'full' ? jid.toString() : jid.bareString;
  }
}

/**
 * The `users` of a request that names several accounts at once (a batched query): a
 * non-empty array of at most `max`, with duplicates removed; `bad-request` otherwise.
 * Prepare them first (`PrepareJids({ users: 'account[]' })`).
 */
export function distinctUsers(users: unknown, max: number): string[] {
  if (!Array.isArray(users) || users.length === 0) throw ReplyException.of('bad-request', 'users must name at least one account');
  if (users.length > max) throw ReplyException.of('bad-request', `at most ${max} users per query`);
  return [...new Set(users as string[])];
}
