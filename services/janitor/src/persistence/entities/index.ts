// Entities of the janitor database (the schema is the migrations'; these describe it).
import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** One row per account: when it was created and last used, and the user's and operators' switches. No history, no addresses. */
@Entity({ name: 'account_activity' })
export class AccountActivityEntity {
  @PrimaryColumn({ type: 'text' }) jid: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  /** Latest login, logout or registration. */
  @Column({ name: 'last_used_at', type: 'timestamptz' }) lastUsedAt: Date;
  /** Latest logout (XEP-0012). */
  @Column({ name: 'last_logout_at', type: 'timestamptz', nullable: true }) lastLogoutAt: Date | null;
  /** Operators exempted the account from inactivity deletion. */
  @Column({ type: 'boolean', default: false }) exempt: boolean;
  /** The user hides their last activity (XEP-0012). */
  @Column({ type: 'boolean', default: false }) hidden: boolean;
  /** When the inactivity notice was sent (cleared by the next use). */
  @Column({ name: 'notice_sent_at', type: 'timestamptz', nullable: true }) noticeSentAt: Date | null;
}

/** Open sessions of an account on one gateway instance. */
@Entity({ name: 'account_session' })
export class AccountSessionEntity {
  @PrimaryColumn({ type: 'text' }) jid: string;
  @PrimaryColumn({ name: 'instance_id', type: 'text' }) instanceId: string;
  @Column({ type: 'integer' }) open: number;
}

/** Ids of gateway events already applied (no JIDs), so a redelivery counts once. */
@Entity({ name: 'handled_event' })
export class HandledEventEntity {
  @PrimaryColumn({ type: 'text' }) id: string;
  @Column({ name: 'handled_at', type: 'timestamptz' }) handledAt: Date;
}

/** One undeliverable stanza: who, to whom, what kind, why, when. Never content, never an address. */
@Entity({ name: 'delivery_failure' })
export class DeliveryFailureEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) seq: string;
  @Column({ name: 'event_id', type: 'text', unique: true }) eventId: string;
  @Column({ type: 'text' }) source: string;
  @Column({ name: 'from_jid', type: 'text', nullable: true }) fromJid: string | null;
  @Column({ name: 'to_jid', type: 'text' }) toJid: string;
  @Column({ type: 'text' }) kind: string;
  @Column({ type: 'text' }) reason: string;
  @Column({ type: 'text', nullable: true }) detail: string | null;
  @Column({ type: 'timestamptz' }) at: Date;
}

/** One recorded sweep (counts only). */
@Entity({ name: 'retention_report' })
export class RetentionReportEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) seq: string;
  @Column({ type: 'text' }) owner: string;
  @Column({ type: 'text' }) what: string;
  @Column({ type: 'bigint' }) deleted: string;
  @Column({ type: 'timestamptz', nullable: true }) cutoff: Date | null;
  @Column({ name: 'oldest_remaining', type: 'timestamptz', nullable: true }) oldestRemaining: Date | null;
  @Column({ type: 'text', nullable: true }) error: string | null;
  @Column({ type: 'timestamptz' }) at: Date;
}

/** One anonymous daily count. */
@Entity({ name: 'daily_stat' })
export class DailyStatEntity {
  @PrimaryColumn({ type: 'date' }) day: string;
  @PrimaryColumn({ type: 'text' }) name: string;
  @Column({ type: 'bigint' }) value: string;
}

export const entities: Function[] = [AccountActivityEntity, AccountSessionEntity, HandledEventEntity, DeliveryFailureEntity, RetentionReportEntity, DailyStatEntity];
