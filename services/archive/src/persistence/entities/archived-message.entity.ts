// One archived message in one user's archive (XEP-0313). The stanza is kept whole;
// the archive never logs it.
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'archive_messages' })
@Index('archive_messages_owner_stanza_id', ['owner', 'stanzaId'], { unique: true })
export class ArchivedMessageEntity {
  /** Arrival order; breaks ties between equal timestamps. Never shown to clients. */
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  seq: string;

  /** The archive owner's bare JID. */
  @Column({ type: 'text' }) owner: string;

  /** XEP-0359 stanza-id (the archive id clients page by). */
  @Column({ name: 'stanza_id', type: 'text' }) stanzaId: string;

  /** When the message was sent/received. */
  @Column({ type: 'timestamptz' }) ts: Date;

  /** The peer's bare JID. */
  @Column({ name: 'with_bare', type: 'text' }) withBare: string;

  /** The peer's address as on the stanza (full JID, or bare when addressed bare). */
  @Column({ name: 'with_full', type: 'text' }) withFull: string;

  /** `i` incoming, `o` outgoing. */
  @Column({ type: 'char', length: 1 }) direction: 'i' | 'o';

  /** The message stanza as XML. */
  @Column({ type: 'text' }) stanza: string;

  @Column({ name: 'stored_at', type: 'timestamptz' }) storedAt: Date;
}
