// Entities of the offline database.
import { OutboxEntity } from '@parley/persistence';
import { ErasedAccountEntity } from './erased-account.entity';
import { HandOffReceiptEntity } from './hand-off-receipt.entity';
import { OfflineMessageEntity } from './offline-message.entity';

export { ErasedAccountEntity, HandOffReceiptEntity, OfflineMessageEntity, OutboxEntity };
export const entities: Function[] = [OfflineMessageEntity, HandOffReceiptEntity, ErasedAccountEntity, OutboxEntity];
