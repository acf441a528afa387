// Granting slots (XEP-0363 §4): validate the request, reserve it against the quotas,
// sign the PUT URL. The gateway maps refusals to the XEP's errors.
import { Inject, Injectable } from '@nestjs/common';
import { UPLOAD_PURPOSES, UploadPurpose, UploadSlotReplyV1, UploadSlotRequestV1 } from '@parley/contracts';
import { ReplyException } from '@parley/nats';
import type { UploadConfig } from '../config/config';
import { PublicUrl } from '../http/public-url';
import { UploadStore } from '../store/upload-store';
import { UPLOAD_CONFIG, UPLOAD_SECRET } from '../tokens';
import { UploadMetrics } from './metrics';
import { userKey } from './user-key';
import { filenameProblem, newFileId, normalizeContentType, signPut } from './rules';

/** The retention of a purpose, in milliseconds. */
export function retentionOf(config: UploadConfig, purpose: string): number {
  switch (purpose) {
    case 'ephemeral':
      return config.UPLOAD_EPHEMERAL_RETENTION;
    case 'profile':
      return config.UPLOAD_PROFILE_RETENTION;
    case 'permanent':
      return config.UPLOAD_PERMANENT_RETENTION;
    default:
      return config.UPLOAD_RETENTION;
  }
}

/** The PUT and GET paths of a file (the same path; the PUT carries its signature in the query). */
export function filePath(id: string, filename: string): string {
  return `/${id}/${encodeURIComponent(filename)}`;
}

@Injectable()
export class Slots {
  constructor(
    private readonly store: UploadStore,
    private readonly url: PublicUrl,
    @Inject(UPLOAD_CONFIG) private readonly config: UploadConfig,
    @Inject(UPLOAD_SECRET) private readonly secret: string,
    private readonly metrics: UploadMetrics,
  ) {}

  async request(q: UploadSlotRequestV1): Promise<UploadSlotReplyV1> {
    const r = await this.decide(q);
    this.metrics.slots.inc({ outcome: 'slot' in r ? 'granted' : r.refused.reason });
    return r;
  }

  private async decide(q: UploadSlotRequestV1): Promise<UploadSlotReplyV1> {
    const user = userKey(q?.user);
    if (!user) throw ReplyException.of('bad-request', 'user must be a bare JID');
    const purpose: UploadPurpose = q.purpose ?? 'message';
    if (!UPLOAD_PURPOSES.includes(purpose)) return { refused: { reason: 'not-acceptable', text: 'unknown upload purpose' } };
    if (typeof q.filename !== 'string') return { refused: { reason: 'not-acceptable', text: 'the file name is missing' } };
    const bad = filenameProblem(q.filename);
    if (bad) return { refused: { reason: 'not-acceptable', text: bad } };
    if (typeof q.size !== 'number' || !Number.isSafeInteger(q.size) || q.size <= 0) return { refused: { reason: 'not-acceptable', text: 'the size must be a positive number of bytes' } };
    const contentType = normalizeContentType(q.contentType);
    if (!contentType) return { refused: { reason: 'not-acceptable', text: 'the content type is not a media type' } };
    if (q.size > this.config.UPLOAD_MAX_FILE_SIZE) return { refused: { reason: 'file-too-large', maxFileSize: this.config.UPLOAD_MAX_FILE_SIZE } };

    const id = newFileId();
    const expires = Math.floor((Date.now() + this.config.UPLOAD_SLOT_TTL) / 1000);
    const putExpiresAt = new Date(expires * 1000);
    const r = await this.store.reserve(
      { id, userJid: user, filename: q.filename, size: q.size, contentType, contentTypeGiven: !!q.contentType, purpose, putExpiresAt },
      { user: this.config.UPLOAD_USER_QUOTA, server: this.config.UPLOAD_DISK_QUOTA },
    );
    if (!r.ok) return { refused: { reason: 'quota', scope: r.scope, retryAt: r.retryAt.toISOString() } };
    const base = this.url.base();
    const path = filePath(id, q.filename);
    const sig = signPut(this.secret, { id, filename: q.filename, size: q.size, contentType: q.contentType ? contentType : '', expires });
    return {
      slot: {
        put: `${base}${path}?expires=${expires}&sig=${sig}`,
        // Content-Length and Content-Type are the client's own; XEP-0363 allows only Authorization, Cookie and Expires here.
        headers: {},
        get: `${base}${path}`,
        putExpiresAt: putExpiresAt.toISOString(),
      },
    };
  }
}
