// Configuration of the profile service: typed, bounded, documented (see README).
import { ConfigOf, loadConfig, opt } from '@parley/config';
import { commonOptions } from '@parley/runtime';

/** Every option the profile service reads. */
export const profileConfigSpec = {
  ...commonOptions('profile'),
  DB_POOL_SIZE: opt.int({ doc: 'Postgres connections of this service.', default: 10, min: 1, max: 200 }),
  PROFILE_MAX_VCARD_BYTES: opt.bytes({ doc: 'Largest vCard (XEP-0054) a user may store, photo included; larger ones are refused with `not-acceptable`.', default: '128KiB', min: 1024, max: 512 * 1024 }),
  PROFILE_MAX_PRIVATE_BYTES: opt.bytes({ doc: 'Largest element one private XML namespace (XEP-0049) may hold; larger ones are refused with `not-acceptable`.', default: '64KiB', min: 1024, max: 512 * 1024 }),
  PROFILE_MAX_PRIVATE_NAMESPACES: opt.int({ doc: 'Private XML namespaces one user may keep; one more is refused with `resource-constraint`.', default: 64, min: 1, max: 10_000 }),
  PROFILE_MAX_ITEM_BYTES: opt.bytes({ doc: 'Largest PEP item payload; larger ones are refused with `not-acceptable` `<payload-too-big/>`.', default: '128KiB', min: 1024, max: 512 * 1024 }),
  PROFILE_MAX_ITEMS_PER_NODE: opt.int({ doc: 'Most items one PEP node keeps (what `pubsub#max_items`=`max` means); a larger `max_items` is refused with `not-acceptable`.', default: 256, min: 1, max: 10_000 }),
  PROFILE_MAX_NODES: opt.int({ doc: 'PEP nodes one user may have; publishing to one more is refused with `resource-constraint`.', default: 128, min: 1, max: 10_000 }),
  PROFILE_CAPS_MAX: opt.int({ doc: 'Verified entity-capabilities hashes (XEP-0115) kept; the least recently seen beyond it are dropped.', default: 10_000, min: 10, max: 1_000_000 }),
  PROFILE_ROSTER_TIMEOUT: opt.duration({ doc: 'How long the service waits for the roster service when deciding who may see a node.', default: '3s', min: '100ms', max: '30s' }),
};

/** The profile service's validated configuration. */
export type ProfileConfig = ConfigOf<typeof profileConfigSpec>;

/** Reads the configuration, throwing one error that names every bad variable. */
export function loadProfileConfig(env: Record<string, string | undefined> = process.env): ProfileConfig {
  return loadConfig(profileConfigSpec, env);
}
