// Profile-owned subjects and payloads: vcard-temp (XEP-0054, with the XEP-0153 avatar
// hash and XEP-0398 conversion), private XML storage (XEP-0049), PEP (XEP-0163) nodes
// and items on each account's bare JID, and the entity-capabilities cache (XEP-0115)
// the gateways share. The profile service stores and decides access; the gateways
// deliver (they follow `profile.evt.notify` and hand each notification to their own
// sessions of the recipients whose caps ask for `<node>+notify`).

// ---- subjects ---------------------------------------------------------------

/** Request/reply subjects served by the profile service (queue group `profile`). */
export const ProfileSubjects = {
  /** {@link VCardQuery} → {@link VCardResult}. */
  getVCard: 'profile.qry.vcard',
  /** {@link SetVCardCommand} → {@link SetVCardResult}; XEP-0398: a PHOTO is published as the PEP avatar. */
  setVCard: 'profile.cmd.set-vcard',
  /** {@link AvatarHashQuery} → {@link AvatarHashResult} (XEP-0153 hash the gateway stamps on presence). */
  avatarHash: 'profile.qry.avatar-hash',
  /** {@link PrivateQuery} → {@link PrivateResult} (XEP-0049 get). */
  getPrivate: 'profile.qry.private',
  /** {@link SetPrivateCommand} → `{}` (XEP-0049 set). */
  setPrivate: 'profile.cmd.set-private',
  /** {@link PepPublishCommand} → {@link PepPublishResult}. */
  publish: 'profile.cmd.publish',
  /** {@link PepRetractCommand} → {@link PepOutcome}. */
  retract: 'profile.cmd.retract',
  /** {@link PepDeleteNodeCommand} → {@link PepOutcome}. */
  deleteNode: 'profile.cmd.delete-node',
  /** {@link PepNodeConfigQuery} → {@link PepNodeConfigResult} (the owner's `<configure/>` get). */
  nodeConfig: 'profile.qry.node-config',
  /** {@link PepConfigureCommand} → {@link PepOutcome} (the owner's `<configure/>` set). */
  configureNode: 'profile.cmd.configure-node',
  /** {@link PepItemsQuery} → {@link PepItemsResult}. */
  items: 'profile.qry.items',
  /** {@link PepLastItemsQuery} → {@link PepLastItemsResult}: what a session that just asked for `+notify` is owed. */
  lastItems: 'profile.qry.last-items',
  /** {@link PepNodesQuery} → {@link PepNodesResult}: the nodes a requester may see (disco#items of an account). */
  nodes: 'profile.qry.nodes',
  /** {@link ProfileExportQuery} → {@link ProfileExportResult}: everything kept about one user (data export). */
  export: 'profile.qry.export',
  /** {@link CapsQuery} → {@link CapsResult}: the shared XEP-0115 cache. */
  getCaps: 'profile.qry.caps',
  /** {@link PutCapsCommand} → `{}`: a verified caps hash and its features. */
  putCaps: 'profile.cmd.put-caps',
} as const;

/** Core-NATS events the profile service publishes (every gateway follows them). */
export const ProfileEvents = {
  /** {@link PepNotificationV1}: one change of one node, with the bare JIDs it may reach. */
  notify: 'profile.evt.notify',
} as const;

// ---- vcard-temp -------------------------------------------------------------

export interface VCardQuery {
  /** Whose vCard (bare JID). */
  owner: string;
}

export interface VCardResult {
  /** The stored `<vCard xmlns='vcard-temp'/>` element as XML; absent when the user has none. */
  vcard?: string;
}

export interface SetVCardCommand {
  owner: string;
  /** The whole `<vCard xmlns='vcard-temp'/>` element as XML (at most PROFILE_MAX_VCARD_BYTES). */
  vcard: string;
}

export interface SetVCardResult {
  /** SHA-1 (hex) of the PHOTO's BINVAL, `''` when the vCard has no photo (XEP-0153). */
  photoHash: string;
}

export interface AvatarHashQuery {
  owner: string;
}

export interface AvatarHashResult {
  /** SHA-1 (hex) of the current avatar (vCard PHOTO / PEP avatar); `''`: none; absent: the user never set a vCard or avatar. */
  photoHash?: string;
}

// ---- private XML storage ----------------------------------------------------

export interface PrivateQuery {
  owner: string;
  /** The namespace of the requested child. */
  ns: string;
}

export interface PrivateResult {
  /** The stored element as XML; absent when nothing is stored under `ns`. */
  xml?: string;
}

export interface SetPrivateCommand {
  owner: string;
  /** One entry per child of `<query xmlns='jabber:iq:private'/>`, each stored under its namespace (replacing it). */
  items: Array<{ ns: string; xml: string }>;
}

// ---- PEP --------------------------------------------------------------------

/** XEP-0060 access models PEP supports here (`authorize` is not offered). */
export type PepAccessModel = 'open' | 'presence' | 'roster' | 'whitelist';

/** A node's configuration as the service keeps it. */
export interface PepNodeConfig {
  accessModel: PepAccessModel;
  /** Items kept (oldest dropped beyond it); at most PROFILE_MAX_ITEMS_PER_NODE. */
  maxItems: number;
  persistItems: boolean;
  /** XEP-0060 `send_last_published_item`. */
  sendLast: 'never' | 'on_sub' | 'on_sub_and_presence';
  /** Roster groups allowed by the `roster` access model. */
  rosterGroups: string[];
}

/**
 * A refusal with its XEP-0060 application condition (`http://jabber.org/protocol/pubsub#errors`),
 * e.g. `precondition-not-met` with condition `conflict`, `payload-too-big` with `not-acceptable`.
 */
export interface PepRefusal {
  condition: string;
  type?: 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';
  text?: string;
  pubsub?: string;
}

export interface PepItemV1 {
  id: string;
  /** The item's payload element as XML (absent for an item without payload). */
  payload?: string;
}

export interface PepPublishCommand {
  owner: string;
  node: string;
  item: { id?: string; payload?: string };
  /**
   * XEP-0060 §7.1.5 publish-options (`pubsub#access_model`, `pubsub#max_items`,
   * `pubsub#persist_items`, `pubsub#send_last_published_item`, `pubsub#roster_groups_allowed`):
   * preconditions on an existing node, the configuration of a new one.
   */
  options?: Record<string, string[]>;
}

export type PepPublishResult = { ok: true; id: string } | { ok: false; refusal: PepRefusal };

export interface PepRetractCommand {
  owner: string;
  node: string;
  id: string;
  /** `notify='true'`: subscribers get a `<retract/>` notification. */
  notify: boolean;
}

export interface PepDeleteNodeCommand {
  owner: string;
  node: string;
}

export type PepOutcome = { ok: true } | { ok: false; refusal: PepRefusal };

export interface PepNodeConfigQuery {
  owner: string;
  node: string;
}

export type PepNodeConfigResult = { ok: true; config: PepNodeConfig; maxItemsLimit: number } | { ok: false; refusal: PepRefusal };

/** XEP-0060 §8.2.4: new values of the fields given (same field names as publish-options). */
export interface PepConfigureCommand {
  owner: string;
  node: string;
  options: Record<string, string[]>;
}

export interface PepItemsQuery {
  owner: string;
  /** Who asks (bare JID): the owner, or someone the node's access model must let in. */
  requester: string;
  node: string;
  /** Only these items. */
  ids?: string[];
  /** The newest `max` items. */
  max?: number;
}

export type PepItemsResult = { ok: true; items: PepItemV1[] } | { ok: false; refusal: PepRefusal };

export interface PepLastItemsQuery {
  /** The user whose session asked for notifications (bare JID). */
  user: string;
  /** The nodes the session's caps ask `+notify` for. */
  nodes: string[];
  /** Publishers to look at; absent: the user and every contact the user receives presence from. */
  publishers?: string[];
}

export interface PepLastItemsResult {
  /** The last item of each node the user may see, oldest first. */
  items: Array<{ publisher: string; node: string; item: PepItemV1 }>;
}

export interface PepNodesQuery {
  owner: string;
  requester: string;
}

export interface PepNodesResult {
  nodes: string[];
}

/**
 * `profile.evt.notify`: a node changed. Gateways deliver `<message type='headline'
 * from=publisher><event xmlns='http://jabber.org/protocol/pubsub#event'>…` to each of
 * their own available sessions of `recipients` whose caps include `<node>+notify`
 * (the publisher's own sessions count too).
 */
export interface PepNotificationV1 {
  publisher: string;
  node: string;
  kind: 'items' | 'retract' | 'delete';
  /** `items`: the published item; `retract`: its id only. */
  item?: PepItemV1;
  /** Bare JIDs whose sessions may get it (the publisher included). */
  recipients: string[];
}

// ---- data export ------------------------------------------------------------

export interface ProfileExportQuery {
  owner: string;
}

/** Everything the profile service keeps about one user. */
export interface ProfileExportResult {
  /** The vCard as XML, when the user has one. */
  vcard?: string;
  /** Private XML, one element per namespace. */
  private: Array<{ ns: string; xml: string }>;
  /** PEP nodes with their configuration and items, oldest item first. */
  nodes: Array<{ node: string; config: PepNodeConfig; items: PepItemV1[] }>;
}

// ---- entity capabilities ----------------------------------------------------

export interface CapsQuery {
  /** `<hash>:<ver>` of a XEP-0115 `<c/>`. */
  key: string;
}

export interface CapsResult {
  /** The features of a verified hash; absent when it is not known yet. */
  features?: string[];
}

export interface PutCapsCommand {
  key: string;
  features: string[];
}
