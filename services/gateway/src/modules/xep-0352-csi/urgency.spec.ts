import { isUrgent } from './urgency';

describe('what an inactive client gets at once (XEP-0352)', () => {
  it.each([
    [`<message type="chat"><body>hi</body></message>`, true],
    [`<message><encrypted xmlns="eu.siacs.conversations.axolotl"/></message>`, true],
    [`<message type="error" id="x"><error/></message>`, true],
    [`<iq type="get" id="1"/>`, true],
    [`<presence type="subscribe" from="a@b"/>`, true],
    [`<presence from="a@b/r"><show>away</show></presence>`, false],
    [`<presence type="unavailable" from="a@b/r"/>`, false],
    [`<message type="chat"><composing xmlns="http://jabber.org/protocol/chatstates"/></message>`, false],
  ])('%s → urgent %s', (xml, urgent) => {
    expect(isUrgent(xml)).toBe(urgent);
  });
});
