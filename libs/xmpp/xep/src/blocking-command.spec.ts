import { StanzaError } from '@parley/stanza';
import { parseXml } from '@parley/xml';
import { blockingCommand } from './blocking-command';

const payloadOf = (iq: string) => parseXml(iq).children.find((c) => typeof c !== 'string') as ReturnType<typeof parseXml>;
const conditionOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof StanzaError ? `${e.condition}: ${e.text}` : String(e);
  }
  return undefined;
};

describe('XEP-0191 blocking codec', () => {
  it('decodes a block list request (§3.2 example)', () => {
    expect(blockingCommand.fromElement('get', payloadOf(`<iq type='get' id='blocklist1'><blocklist xmlns='urn:xmpp:blocking'/></iq>`))).toEqual({ kind: 'blocklist' });
    expect(conditionOf(() => blockingCommand.fromElement('get', payloadOf(`<iq type='get'><block xmlns='urn:xmpp:blocking'/></iq>`)))).toBe('bad-request: expected <blocklist/>');
  });

  it('decodes block, unblock and unblock-all (§3.3-3.5 examples)', () => {
    expect(blockingCommand.fromElement('set', payloadOf(`<iq from='juliet@capulet.com/chamber' type='set' id='block1'><block xmlns='urn:xmpp:blocking'><item jid='romeo@montague.net'/></block></iq>`))).toEqual({ kind: 'block', jids: ['romeo@montague.net'] });
    expect(blockingCommand.fromElement('set', payloadOf(`<iq type='set' id='unblock1'><unblock xmlns='urn:xmpp:blocking'><item jid='romeo@montague.net'/></unblock></iq>`))).toEqual({ kind: 'unblock', jids: ['romeo@montague.net'] });
    expect(blockingCommand.fromElement('set', payloadOf(`<iq type='set' id='unblock2'><unblock xmlns='urn:xmpp:blocking'/></iq>`))).toEqual({ kind: 'unblock', jids: [] });
  });

  it('refuses an item without a jid, an empty block, and other payloads', () => {
    expect(conditionOf(() => blockingCommand.fromElement('set', payloadOf(`<iq type='set'><block xmlns='urn:xmpp:blocking'><item/></block></iq>`)))).toBe('bad-request: every <item/> needs a jid');
    expect(conditionOf(() => blockingCommand.fromElement('set', payloadOf(`<iq type='set'><block xmlns='urn:xmpp:blocking'/></iq>`)))).toBe('bad-request: <block/> needs at least one <item/>');
    expect(conditionOf(() => blockingCommand.fromElement('set', payloadOf(`<iq type='set'><blocklist xmlns='urn:xmpp:blocking'/></iq>`)))).toBe('bad-request: expected <block/> or <unblock/>');
  });

  it('encodes the block list and pushes', () => {
    expect(blockingCommand.blocklistToElement(['romeo@montague.net', 'iago@shakespeare.lit']).toString()).toBe('<blocklist xmlns="urn:xmpp:blocking"><item jid="romeo@montague.net"/><item jid="iago@shakespeare.lit"/></blocklist>');
    expect(blockingCommand.pushToElement('block', ['romeo@montague.net']).toString()).toBe('<block xmlns="urn:xmpp:blocking"><item jid="romeo@montague.net"/></block>');
    expect(blockingCommand.pushToElement('unblock-all', ['romeo@montague.net']).toString()).toBe('<unblock xmlns="urn:xmpp:blocking"/>');
  });
});
