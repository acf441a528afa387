// One upload: a granted slot, then the stored file's metadata. The bytes live in the
// file store (a directory or an S3 bucket) under `id`.
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'upload_file' })
@Index('upload_file_user_idx', ['userJid'])
@Index('upload_file_expires_idx', ['expiresAt'])
@Index('upload_file_state_put_idx', ['state', 'putExpiresAt'])
export class UploadFileEntity {
  /** Random, unguessable (32 bytes, base64url): the URL path and the storage key. Says nothing about the uploader. */
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'upload_file_pkey' })
  id: string;

  /** The uploader's bare JID: for the quota and account deletion only, never in a URL. */
  @Column({ name: 'user_jid', type: 'text' })
  userJid: string;

  /** The file name as requested (validated: no path, no control characters). */
  @Column({ type: 'text' })
  filename: string;

  @Column({ type: 'bigint' })
  size: string;

  /** The type the file is served with: the slot's, or the PUT's when the slot request named none. */
  @Column({ name: 'content_type', type: 'text' })
  contentType: string;

  /** Whether the slot request named a type (the PUT must then send the same, XEP-0363 §6). */
  @Column({ name: 'content_type_given', type: 'boolean' })
  contentTypeGiven: boolean;

  /** XEP-0363 v1.2 purpose: message, ephemeral, profile, permanent. */
  @Column({ type: 'text' })
  purpose: string;

  /** `reserved` (slot granted), `uploading` (a PUT is streaming), `stored`. */
  @Column({ type: 'text' })
  state: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  /** The PUT URL is refused after this. */
  @Column({ name: 'put_expires_at', type: 'timestamptz' })
  putExpiresAt: Date;

  @Column({ name: 'stored_at', type: 'timestamptz', nullable: true })
  storedAt: Date | null;

  /** Stored files: GETs stop and the sweep deletes file and row after this (stored_at + the purpose's retention). */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;
}
