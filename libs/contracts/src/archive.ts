// Archive-owned subjects, streams and payloads (XEP-0313, XEP-0359).
import type { StreamSpec } from './streams';

/** Messages handed to the archive, only for users who opted in. Work-queue retention. */
export const ARCHIVE_INBOX: StreamSpec = {
  name: 'ARCHIVE_INBOX',
  subjects: ['archive.cmd.store'],
  retention: 'workqueue',
  maxAgeMs: 3 * 24 * 3600 * 1000,
  description: 'messages to archive for opted-in users, removed once stored',
};

/** Archive facts (prefs changes, sweeps). */
export const ARCHIVE_EVENTS: StreamSpec = {
  name: 'ARCHIVE_EVENTS',
  subjects: ['archive.evt.>'],
  retention: 'limits',
  maxAgeMs: 7 * 24 * 3600 * 1000,
  description: 'prefs-changed, swept (no content)',
};
