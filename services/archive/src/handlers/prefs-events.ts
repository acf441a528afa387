// The events the archive queues in its outbox (published by the shared OutboxRelay
// after commit): archive.evt.prefs-changed on the user's own subject in ARCHIVE_PREFS
// (the stream keeps the last one per user), and archive.evt.swept (counts only).
import { ArchiveEvents, ArchivePrefsChangedV1, ArchiveSweptV1, envelope } from '@parley/contracts';
import { isOptedIn } from '../domain/prefs';
import type { OutboxEvent, StoredPrefs } from '../store/archive-store';

/** `archive.evt.prefs-changed` for a stored row, on the user's subject. */
export function prefsChanged(row: StoredPrefs, causationId?: string): OutboxEvent {
  const data: ArchivePrefsChangedV1 = {
    jid: row.jid,
    default: row.default,
    always: row.always,
    never: row.never,
    optedIn: isOptedIn(row),
    version: row.version,
  };
  return { event: envelope(ArchiveEvents.prefsChanged, data, { causationId }), subject: ArchiveEvents.prefsChangedFor(row.jid) };
}

/** `archive.evt.swept` with a sweep's counts. */
export function swept(data: ArchiveSweptV1): OutboxEvent {
  return { event: envelope(ArchiveEvents.swept, data), subject: ArchiveEvents.swept };
}
