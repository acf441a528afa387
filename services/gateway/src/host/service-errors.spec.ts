import { BusReplyError, BusUnavailableError } from '@parley/nats';
import { StanzaError } from '@parley/stanza';
import { serviceError } from './service-errors';

describe('serviceError: a failed back-end request as the client sees it', () => {
  it('passes on the condition, type and text of an error the service answered', () => {
    const e = serviceError(new BusReplyError('roster.cmd.set-item', { condition: 'not-acceptable', type: 'modify', text: 'name too long' }), 'roster service');
    expect(e).toMatchObject({ condition: 'not-acceptable', type: 'modify', text: 'name too long' });
  });

  it.each(['no-responders', 'timeout'] as const)('answers service-unavailable (wait) when the service is %s', (reason) => {
    const e = serviceError(new BusUnavailableError('archive.qry.lookup', reason), 'message archive');
    expect(e).toMatchObject({ condition: 'service-unavailable', type: 'wait' });
    expect(e.text).toContain('message archive');
  });

  it('keeps a stanza error as it is and rethrows anything else', () => {
    const already = new StanzaError('item-not-found');
    expect(serviceError(already, 'roster service')).toBe(already);
    const bug = new TypeError('a gateway bug');
    expect(() => serviceError(bug, 'roster service')).toThrow(bug);
  });
});
