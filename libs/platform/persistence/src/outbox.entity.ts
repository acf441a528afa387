// An event committed with the change it describes, not yet published to JetStream.
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { EventEnvelope } from '@parley/contracts';

@Entity({ name: 'outbox' })
export class OutboxEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) seq: string;
  @Column({ type: 'text' }) subject: string;
  @Column({ type: 'jsonb' }) envelope: EventEnvelope;
}
