import { parsePlain } from './plain';

describe('SASL PLAIN messages', () => {
  it('splits authzid, authcid and password', () => {
    expect(parsePlain(Buffer.from('\u0000alice\u0000secret pw'))).toEqual({ authzid: '', authcid: 'alice', password: 'secret pw' });
    expect(parsePlain(Buffer.from('alice@localhost\u0000alice\u0000pw'))).toMatchObject({ authzid: 'alice@localhost' });
  });

  it('refuses messages without a user or a password, or with extra fields', () => {
    expect(parsePlain(Buffer.from('\u0000\u0000pw'))).toBeUndefined();
    expect(parsePlain(Buffer.from('\u0000alice\u0000'))).toBeUndefined();
    expect(parsePlain(Buffer.from('a\u0000b\u0000c\u0000d'))).toBeUndefined();
    expect(parsePlain(Buffer.from('no separators'))).toBeUndefined();
  });
});
