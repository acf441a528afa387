// One roster entry: a roster item, or an inbound subscription request from a
// contact not (yet) in the roster (in_roster = false, pending_in = true).
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'roster_item' })
export class RosterItemEntity {
  /** Bare JID of the local user. */
  @PrimaryColumn({ type: 'text' }) owner: string;
  /** Prepared JID of the contact. */
  @PrimaryColumn({ type: 'text' }) contact: string;
  @Column({ name: 'in_roster', type: 'boolean' }) inRoster: boolean;
  @Column({ type: 'text', nullable: true }) name: string | null;
  @Column({ type: 'text', array: true, default: () => "'{}'" }) groups: string[];
  @Column({ type: 'text' }) subscription: 'none' | 'to' | 'from' | 'both';
  @Column({ name: 'pending_out', type: 'boolean' }) pendingOut: boolean;
  @Column({ name: 'pending_in', type: 'boolean' }) pendingIn: boolean;
  @Column({ name: 'pending_in_status', type: 'text', nullable: true }) pendingInStatus: string | null;
  @Column({ type: 'boolean' }) approved: boolean;
  /** The pending inbound request as it arrived, extensions included (RFC 6121 §3.1.3). */
  @Column({ name: 'pending_in_stanza', type: 'text', nullable: true }) pendingInStanza: string | null;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt: Date;
}
