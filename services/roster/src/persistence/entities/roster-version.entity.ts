// The current roster version of a user (RFC 6121 §2.6): grows by one per change.
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'roster_version' })
export class RosterVersionEntity {
  @PrimaryColumn({ type: 'text' }) owner: string;
  /** bigint comes back from pg as a string. */
  @Column({ type: 'bigint' }) ver: string;
}
