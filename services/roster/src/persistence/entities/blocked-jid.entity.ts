// One block-list entry (XEP-0191), any JID form.
import { CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'blocked_jid' })
export class BlockedJidEntity {
  @PrimaryColumn({ type: 'text' }) owner: string;
  @PrimaryColumn({ type: 'text' }) jid: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
