import { accessRefusal, defaultNodeConfig, notificationRecipients, ownerRoster, preconditionsMet, requestedConfig } from './node-config';

const owner = 'o@localhost';
const roster = ownerRoster({
  items: [
    { jid: 'friend@localhost', subscription: 'both', groups: ['Friends'] },
    { jid: 'fan@localhost', subscription: 'from', groups: [] },
    { jid: 'idol@localhost', subscription: 'to', groups: ['Friends'] },
    { jid: 'pest@localhost', subscription: 'both', groups: ['Friends'] },
  ] as never,
  broadcast: ['friend@localhost', 'fan@localhost'], // pest is blocked: the roster service leaves it out
  blocked: ['pest@localhost'],
});

describe('PEP node configuration and access', () => {
  it('creates nodes with the XEP-0163 defaults and the options asked for', () => {
    expect(defaultNodeConfig()).toEqual({ accessModel: 'presence', maxItems: 1, persistItems: true, sendLast: 'on_sub_and_presence', rosterGroups: [] });
    expect(requestedConfig({ 'pubsub#access_model': ['whitelist'], 'pubsub#max_items': ['max'], 'pubsub#persist_items': ['1'], 'pubsub#send_last_published_item': ['never'], 'pubsub#unknown': ['x'] }, 256)).toEqual({
      config: { accessModel: 'whitelist', maxItems: 256, persistItems: true, sendLast: 'never' },
    });
  });

  it('refuses unusable options with their conditions', () => {
    expect(requestedConfig({ 'pubsub#access_model': ['authorize'] }, 10)).toEqual({ refusal: expect.objectContaining({ condition: 'not-acceptable', pubsub: 'unsupported-access-model' }) });
    expect(requestedConfig({ 'pubsub#max_items': ['11'] }, 10)).toEqual({ refusal: expect.objectContaining({ condition: 'not-acceptable' }) });
    expect(requestedConfig({ 'pubsub#max_items': ['-1'] }, 10)).toEqual({ refusal: expect.objectContaining({ condition: 'bad-request' }) });
    expect(requestedConfig({ 'pubsub#persist_items': ['maybe'] }, 10)).toEqual({ refusal: expect.objectContaining({ condition: 'bad-request' }) });
  });

  it('checks XEP-0223 preconditions field by field', () => {
    const c = { ...defaultNodeConfig(), accessModel: 'whitelist' as const, maxItems: 256 };
    expect(preconditionsMet(c, { accessModel: 'whitelist', maxItems: 256 })).toBe(true);
    expect(preconditionsMet(c, {})).toBe(true);
    expect(preconditionsMet(c, { accessModel: 'open' })).toBe(false);
    expect(preconditionsMet(c, { maxItems: 1 })).toBe(false);
    expect(preconditionsMet(c, { sendLast: 'never' })).toBe(false);
  });

  it('lets in by access model, with the XEP-0060 §6.5.9 refusals', () => {
    const of = (accessModel: 'open' | 'presence' | 'roster' | 'whitelist', rosterGroups: string[] = []) => ({ ...defaultNodeConfig(), accessModel, rosterGroups });
    expect(accessRefusal(of('open'), 'anyone@localhost', owner, undefined)).toBeUndefined();
    expect(accessRefusal(of('whitelist'), 'friend@localhost', owner, roster)).toMatchObject({ condition: 'not-allowed', pubsub: 'closed-node' });
    expect(accessRefusal(of('whitelist'), owner, owner, undefined)).toBeUndefined();
    expect(accessRefusal(of('presence'), 'fan@localhost', owner, roster)).toBeUndefined();
    expect(accessRefusal(of('presence'), 'idol@localhost', owner, roster)).toMatchObject({ condition: 'not-authorized', pubsub: 'presence-subscription-required' });
    expect(accessRefusal(of('presence'), 'pest@localhost', owner, roster)).toBeDefined();
    expect(accessRefusal(of('presence'), 'fan@localhost', owner, undefined)).toBeDefined(); // roster unknown: owner only
    expect(accessRefusal(of('roster', ['Friends']), 'idol@localhost', owner, roster)).toBeUndefined();
    expect(accessRefusal(of('roster', ['Friends']), 'fan@localhost', owner, roster)).toMatchObject({ pubsub: 'not-in-roster-group' });
    expect(accessRefusal(of('roster', ['Friends']), 'pest@localhost', owner, roster)).toBeDefined();
  });

  it('notifies the owner, and the contacts the model lets in unless it is a whitelist', () => {
    const c = defaultNodeConfig();
    expect(notificationRecipients(c, owner, roster).sort()).toEqual(['fan@localhost', 'friend@localhost', owner].sort());
    expect(notificationRecipients({ ...c, accessModel: 'whitelist' }, owner, roster)).toEqual([owner]);
    expect(notificationRecipients({ ...c, accessModel: 'open' }, owner, undefined)).toEqual([owner]);
    expect(notificationRecipients({ ...c, accessModel: 'roster', rosterGroups: ['Friends'] }, owner, roster).sort()).toEqual(['friend@localhost', 'idol@localhost', owner].sort());
  });
});
