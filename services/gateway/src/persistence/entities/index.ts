// Entities of the gateway database.
import { AccountEntity } from './account.entity';

export { AccountEntity };
export const entities: Function[] = [AccountEntity];
