// Entities of the archive database.
import { ArchivePrefsEntity } from './archive-prefs.entity';
import { ArchivedMessageEntity } from './archived-message.entity';

export { ArchivePrefsEntity, ArchivedMessageEntity };
export const entities: Function[] = [ArchivedMessageEntity, ArchivePrefsEntity];
