// Upload-owned subjects, streams and payloads (XEP-0363 HTTP File Upload).
//
// Flow: a client asks `upload.<domain>` for a slot; the gateway's XEP-0363 module
// turns the IQ into `upload.cmd.request-slot` (core NATS request/reply, queue group
// `upload`). The upload service checks name, type, size and quotas against its own
// database, reserves the slot and answers with signed PUT and GET URLs on its public
// HTTP listener, or with a refusal the gateway maps to the XEP's errors. The file
// itself never crosses the bus or the gateway.
import type { StreamSpec } from './streams';

/** Upload-service facts: sweeps (counts only, no JIDs). */
export const UPLOAD_EVENTS: StreamSpec = {
  name: 'UPLOAD_EVENTS',
  subjects: ['upload.evt.>'],
  retention: 'limits',
  maxAgeMs: 24 * 3600 * 1000,
  description: 'swept (counts only, no JIDs, no file names)',
};

/** Core-NATS requests the upload service answers (queue group `upload`). */
export const UploadSubjects = {
  /** {@link UploadSlotRequestV1} → {@link UploadSlotReplyV1}: reserve a slot, or say why not. */
  requestSlot: 'upload.cmd.request-slot',
  /** `{}` → {@link UploadSweepResult}: run the retention sweep now (the janitor's pass; also publishes `upload.evt.swept`). */
  sweep: 'upload.cmd.sweep',
  /** {@link UploadFilesQuery} → {@link UploadFilesResult}: a user's stored files, for the data export (operators). */
  files: 'upload.qry.files',
  /** `{}` → {@link UploadStatsResult}: anonymous totals for the janitor's daily statistics. */
  stats: 'upload.qry.stats',
} as const;

/** `upload.qry.stats` reply data: totals only, no JIDs. */
export interface UploadStatsResult {
  /** Files stored now. */
  files: number;
  /** Their bytes. */
  bytes: number;
  /** Files stored since the start of today (UTC). */
  storedToday: number;
}

/** Events the upload service publishes (stream {@link UPLOAD_EVENTS}). */
export const UploadEvents = {
  /** {@link UploadSweptV1}: a retention sweep ran. Counts only. */
  swept: 'upload.evt.swept',
} as const;

/**
 * XEP-0363 v1.2 upload purposes (`urn:xmpp:http:upload:purpose:0`): `message` (the
 * default) follows UPLOAD_RETENTION, the others their own retention settings.
 */
export type UploadPurpose = 'message' | 'ephemeral' | 'profile' | 'permanent';
export const UPLOAD_PURPOSES: readonly UploadPurpose[] = ['message', 'ephemeral', 'profile', 'permanent'];

/** `upload.cmd.request-slot` v1. */
export interface UploadSlotRequestV1 {
  /** The requesting account, prepared bare JID (the gateway's session; never client-supplied). */
  user: string;
  /** The `filename` attribute as sent (the service validates it). */
  filename: string;
  /** The `size` attribute in bytes. */
  size: number;
  /** The `content-type` attribute, if any. */
  contentType?: string;
  /** The XEP-0363 v1.2 purpose; absent = `message`. */
  purpose?: UploadPurpose;
}

/** A granted slot: the PUT URL with the headers the client must send, and the GET URL. */
export interface UploadSlotV1 {
  put: string;
  /** Headers the client must send with the PUT (besides Content-Length and Content-Type). */
  headers: Record<string, string>;
  get: string;
  /** ISO-8601 time the PUT URL stops being accepted. */
  putExpiresAt: string;
}

/** Why a slot was refused; the gateway maps each to the XEP-0363 §5 error. */
export type UploadRefusalV1 =
  /** `not-acceptable` (modify) with `<file-too-large><max-file-size/>`. */
  | { reason: 'file-too-large'; maxFileSize: number }
  /** `resource-constraint` (wait) with `<retry stamp/>`: the user's quota (or the server's disk quota) is full until `retryAt`. */
  | { reason: 'quota'; scope: 'user' | 'server'; retryAt: string }
  /** `not-acceptable` (modify): a bad file name, size or content type. `text` is safe to show. */
  | { reason: 'not-acceptable'; text: string };

/** `upload.cmd.request-slot` reply data. */
export type UploadSlotReplyV1 = { slot: UploadSlotV1 } | { refused: UploadRefusalV1 };

/** `upload.cmd.sweep` reply data (the same counts as the `upload.evt.swept` it publishes). */
export interface UploadSweepResult {
  /** Stored files deleted because their retention ran out. */
  filesDeleted: number;
  /** Bytes those files held. */
  bytesDeleted: number;
  /** Slots reserved but never uploaded, dropped after their PUT URL expired. */
  slotsDeleted: number;
  /** ISO-8601: `message` files uploaded before this were deleted (now − UPLOAD_RETENTION). */
  cutoff: string;
}

/** `upload.evt.swept` v1. Counts only. */
export interface UploadSweptV1 extends UploadSweepResult {
  retentionMs: number;
  trigger: 'timer' | 'command';
}

/** `upload.qry.files`: one user's stored files (metadata and GET URL, never the bytes), a page at a time. */
export interface UploadFilesQuery {
  user: string;
  /** The `next` of the previous page. */
  after?: string;
  /** Most files per page (default 500, at most 1000). */
  limit?: number;
}

/** One stored file, as the user's data export lists it. */
export interface UploadFileV1 {
  name: string;
  size: number;
  contentType: string;
  purpose: UploadPurpose;
  /** ISO-8601 times of the upload and of the deletion the retention rule sets. */
  uploadedAt: string;
  expiresAt: string;
  /** The GET URL (whoever holds it can download the file until it expires). */
  url: string;
}

/** `upload.qry.files` reply data (in an arbitrary but stable order). */
export interface UploadFilesResult {
  files: UploadFileV1[];
  next?: string;
}
