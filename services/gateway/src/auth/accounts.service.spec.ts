import { MemoryAccountsStore } from '../testing/memory-accounts';
import { AccountsService } from './accounts.service';

describe('AccountsService.verifyPassword (the account page login)', () => {
  const store = new MemoryAccountsStore();
  const accounts = new AccountsService(store, store.relay({ publishEvent: async () => undefined }), { domain: 'example.org', iterations: 4096, tombstoneMs: 0 });

  it('accepts the account password only, and no password for an unknown account', async () => {
    await accounts.register('alice', 'correct horse battery', 'admin');
    expect(await accounts.verifyPassword('alice', 'correct horse battery')).toBe(true);
    expect(await accounts.verifyPassword('alice', 'correct horse battery ')).toBe(false);
    expect(await accounts.verifyPassword('alice', '')).toBe(false);
    expect(await accounts.verifyPassword('nobody', 'correct horse battery')).toBe(false);
    // a password SASLprep forbids is simply wrong
    expect(await accounts.verifyPassword('alice', 'bad\u0007password')).toBe(false);
  });
});
