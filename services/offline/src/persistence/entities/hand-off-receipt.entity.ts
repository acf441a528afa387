// A handled hand-off id and its outcome, kept for OFFLINE_DEDUP_WINDOW so a redelivered
// or re-published hand-off is neither stored again nor refused twice. No content, no JID.
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'hand_off_receipt' })
@Index('hand_off_receipt_decided_idx', ['decidedAt'])
export class HandOffReceiptEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'hand_off_receipt_pkey' })
  id: string;

  /** `stored` or `refused`. */
  @Column({ type: 'text' })
  outcome: string;

  /** Refusal reason (`quota`, `not-storable`, `account-deleted`). */
  @Column({ type: 'text', nullable: true })
  reason: string | null;

  /** Which storability rule refused it. */
  @Column({ type: 'text', nullable: true })
  detail: string | null;

  @Column({ name: 'decided_at', type: 'timestamptz' })
  decidedAt: Date;
}
