// Entities of the roster database.
import { BlockedJidEntity } from './blocked-jid.entity';
import { OutboxEntity } from '@parley/persistence';
import { RosterChangeEntity } from './roster-change.entity';
import { RosterItemEntity } from './roster-item.entity';
import { RosterVersionEntity } from './roster-version.entity';

export { BlockedJidEntity, OutboxEntity, RosterChangeEntity, RosterItemEntity, RosterVersionEntity };

export const entities: Function[] = [RosterItemEntity, RosterVersionEntity, RosterChangeEntity, BlockedJidEntity, OutboxEntity];
