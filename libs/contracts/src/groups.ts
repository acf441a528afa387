// Queue groups and durable consumer names: part of the contract between replicas of a
// service (and between its versions during a rolling upgrade), so they are spelled
// here, once. Renaming a durable makes the new version replay its whole stream: bump
// the `vN` suffix only on purpose.

/** Core-NATS queue groups: every replica of a service answers its requests in one group. */
export const QueueGroups = {
  roster: 'roster',
  offline: 'offline',
  archive: 'archive',
  janitor: 'janitor',
  upload: 'upload',
  profile: 'profile',
  /** Gateway instances answering commands any one of them can serve (delete-account, server-notice). */
  gateway: 'gateway',
} as const;

/** Durable JetStream consumer names, one per (service, purpose), shared by replicas. */
export const Durables = {
  rosterAccountDeleted: 'roster-account-deleted',
  offlineStore: 'offline-store',
  offlineAccountDeleted: 'offline-account-deleted',
  archiveStore: 'archive-store',
  archiveAccountDeleted: 'archive-account-deleted',
  /** Gateways share it so that each offline delivery failure is bounced once. */
  gatewayOfflineBounces: 'gateway-offline-bounces',
  janitorActivity: 'janitor-activity',
  janitorDeliveryFailures: 'janitor-delivery-failures',
  janitorOfflineFailures: 'janitor-offline-failures',
  /** The janitor's log of messages the archive refused. */
  janitorArchiveFailures: 'janitor-archive-failures',
  /** The janitor's record of which owners confirmed each account erasure. */
  janitorErasures: 'janitor-erasures',
  uploadAccountDeleted: 'upload-account-deleted',
  profileAccountDeleted: 'profile-account-deleted',
} as const;
