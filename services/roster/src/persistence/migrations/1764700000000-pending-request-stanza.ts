// A pending inbound subscription request is kept whole (RFC 6121 §3.1.3): the stanza
// as it arrived, extensions such as <nick/> or <preauth/> included, not only its status.
import { MigrationInterface, QueryRunner } from 'typeorm';

export class PendingRequestStanza1764700000000 implements MigrationInterface {
  name = 'PendingRequestStanza1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE roster_item ADD COLUMN pending_in_stanza text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE roster_item DROP COLUMN pending_in_stanza`);
  }
}
