// A message waiting for an offline user: the stanza as handed off, its sender and arrival time.
import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

@Entity({ name: 'offline_message' })
@Unique('offline_message_id_key', ['id'])
@Index('offline_message_user_order_idx', ['userJid', 'arrivedAt', 'seq'])
@Index('offline_message_arrived_idx', ['arrivedAt'])
export class OfflineMessageEntity {
  /** Insertion order; breaks ties between equal arrival times. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint', name: 'seq', primaryKeyConstraintName: 'offline_message_pkey' })
  seq: string;

  /** Hand-off envelope id: the message id and XEP-0013 node. Unique: a redelivery is stored once. */
  @Column({ type: 'text' })
  id: string;

  /** Recipient bare JID (prepared, case-folded). */
  @Column({ name: 'user_jid', type: 'text' })
  userJid: string;

  /** Sender full JID. */
  @Column({ name: 'from_jid', type: 'text' })
  fromJid: string;

  @Column({ name: 'message_type', type: 'text' })
  messageType: string;

  /** The stanza's `id` attribute. */
  @Column({ name: 'stanza_id', type: 'text', nullable: true })
  stanzaId: string | null;

  /** The stanza XML: the only content column. Deleted on ack, removal, purge, account deletion or expiry. */
  @Column({ type: 'text' })
  stanza: string;

  /** When the server received the message (XEP-0203 stamp); retention counts from here. */
  @Column({ name: 'arrived_at', type: 'timestamptz' })
  arrivedAt: Date;

  @Column({ name: 'stored_at', type: 'timestamptz', default: () => 'now()' })
  storedAt: Date;
}
