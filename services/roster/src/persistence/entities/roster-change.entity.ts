// A recent roster change (bounded per user): the push that produced version `ver`.
import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { RosterPushItem } from '@parley/contracts';

@Entity({ name: 'roster_change' })
export class RosterChangeEntity {
  @PrimaryColumn({ type: 'text' }) owner: string;
  @PrimaryColumn({ type: 'bigint' }) ver: string;
  @Column({ type: 'text' }) contact: string;
  @Column({ type: 'jsonb' }) item: RosterPushItem;
}
