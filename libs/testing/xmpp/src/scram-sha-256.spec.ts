import { ScramSha256Mechanism } from './scram-sha-256';

describe('the test client SCRAM-SHA-256 mechanism', () => {
  it('reproduces the RFC 7677 example exchange and verifies the server', () => {
    const m = new ScramSha256Mechanism({ nonce: 'rOprNGfwEbeRWgbNEkqO' });
    const cred = { username: 'user', password: 'pencil' };
    expect(m.response(cred)).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    m.challenge('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    expect(m.response(cred)).toBe('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    m.challenge('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    expect(m.serverVerified).toBe(true);
  });

  it('notices a server signature that does not match', () => {
    const m = new ScramSha256Mechanism({ nonce: 'rOprNGfwEbeRWgbNEkqO' });
    const cred = { username: 'user', password: 'pencil' };
    m.response(cred);
    m.challenge('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    m.response(cred);
    m.challenge('v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    expect(m.serverVerified).toBe(false);
  });

  it('refuses a server nonce that does not extend its own', () => {
    const m = new ScramSha256Mechanism({ nonce: 'abc' });
    m.response({ username: 'u', password: 'p' });
    m.challenge('r=xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    expect(() => m.response({ username: 'u', password: 'p' })).toThrow(/nonce/);
  });
});
