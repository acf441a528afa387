// An account: the username and SCRAM keys only. No password, no hash of it, nothing reversible.
import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'accounts' })
export class AccountEntity {
  /** Prepared localpart (RFC 7622 UsernameCaseMapped). */
  @PrimaryColumn({ type: 'text' })
  username: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'sha1_salt', type: 'bytea' }) sha1Salt: Buffer;
  @Column({ name: 'sha1_iterations', type: 'int' }) sha1Iterations: number;
  @Column({ name: 'sha1_stored_key', type: 'bytea' }) sha1StoredKey: Buffer;
  @Column({ name: 'sha1_server_key', type: 'bytea' }) sha1ServerKey: Buffer;

  @Column({ name: 'sha256_salt', type: 'bytea' }) sha256Salt: Buffer;
  @Column({ name: 'sha256_iterations', type: 'int' }) sha256Iterations: number;
  @Column({ name: 'sha256_stored_key', type: 'bytea' }) sha256StoredKey: Buffer;
  @Column({ name: 'sha256_server_key', type: 'bytea' }) sha256ServerKey: Buffer;

  // SCRAM-SHA-512: null for accounts created before it, until their password is next seen.
  @Column({ name: 'sha512_salt', type: 'bytea', nullable: true }) sha512Salt: Buffer | null;
  @Column({ name: 'sha512_iterations', type: 'int', nullable: true }) sha512Iterations: number | null;
  @Column({ name: 'sha512_stored_key', type: 'bytea', nullable: true }) sha512StoredKey: Buffer | null;
  @Column({ name: 'sha512_server_key', type: 'bytea', nullable: true }) sha512ServerKey: Buffer | null;
}
