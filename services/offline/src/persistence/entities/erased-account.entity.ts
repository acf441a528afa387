// A recently deleted account, as a SHA-256 of its bare JID, kept for OFFLINE_DEDUP_WINDOW
// so messages still in flight for it are refused instead of stored.
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'erased_account' })
@Index('erased_account_erased_idx', ['erasedAt'])
export class ErasedAccountEntity {
  /** Hex SHA-256 of the bare JID. */
  @PrimaryColumn({ name: 'user_hash', type: 'text', primaryKeyConstraintName: 'erased_account_pkey' })
  userHash: string;

  /** When the account was deleted; messages that arrived up to then are refused. */
  @Column({ name: 'erased_at', type: 'timestamptz' })
  erasedAt: Date;
}
