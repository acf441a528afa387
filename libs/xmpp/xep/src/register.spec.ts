import { parseXml } from '@parley/xml';
import { registerQuery } from './register';

describe('XEP-0077 registration codec', () => {
  it('decodes a registration (§3.1 example 3) and a password change (§3.3 example 18)', () => {
    expect(registerQuery.fromIq(parseXml(`<iq type='set' id='reg2'><query xmlns='jabber:iq:register'><username>bill</username><password>Calliope</password><email>bard@shakespeare.lit</email></query></iq>`))).toEqual({
      username: 'bill',
      password: 'Calliope',
      remove: false,
    });
    expect(registerQuery.fromIq(parseXml(`<iq type='set' to='shakespeare.lit' id='change1'><query xmlns='jabber:iq:register'><username>bill</username><password>newpass</password></query></iq>`))).toMatchObject({ password: 'newpass', remove: false });
  });

  it('decodes a removal (§3.2 example 13), and nothing from another namespace', () => {
    expect(registerQuery.fromIq(parseXml(`<iq type='set' from='bill@shakespeare.lit/globe' id='unreg1'><query xmlns='jabber:iq:register'><remove/></query></iq>`))).toEqual({ username: undefined, password: undefined, remove: true });
    expect(registerQuery.fromIq(parseXml(`<iq type='set'><query xmlns='jabber:iq:other'><remove/></query></iq>`))).toEqual({ username: undefined, password: undefined, remove: false });
  });

  it('encodes the form and the registered answer', () => {
    expect(registerQuery.formToElement('Choose a username.').toString()).toBe('<query xmlns="jabber:iq:register"><instructions>Choose a username.</instructions><username/><password/></query>');
    expect(registerQuery.registeredToElement('bill').toString()).toBe('<query xmlns="jabber:iq:register"><registered/><username>bill</username></query>');
  });
});
