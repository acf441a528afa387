import { ABSENT, decide, definedStateName, presencesOnRemoval, SubscriptionEvent, SubscriptionState } from './subscription';

// The nine defined states of RFC 6121 Appendix A.1, as roster items.
const STATES = [
  'None',
  'None + Pending Out',
  'None + Pending In',
  'None + Pending Out+In',
  'To',
  'To + Pending In',
  'From',
  'From + Pending Out',
  'Both',
] as const;
type StateName = (typeof STATES)[number];

function state(name: StateName, flags: Partial<SubscriptionState> = {}): SubscriptionState {
  const [base, pending] = name.split(' + ');
  const subscription = base.toLowerCase() as SubscriptionState['subscription'];
  return {
    subscription,
    pendingOut: pending === 'Pending Out' || pending === 'Pending Out+In',
    pendingIn: pending === 'Pending In' || pending === 'Pending Out+In',
    approved: false,
    inRoster: true,
    ...flags,
  };
}

type Row = [StateName, boolean, StateName | 'no state change'];

function table(event: SubscriptionEvent, rows: Row[]): void {
  describe(`${event.direction} "${event.type}"`, () => {
    it.each(rows)('given "%s", routes/delivers=%s and ends in %s', (given, deliver, then) => {
      const before = state(given);
      const d = decide(before, event);
      expect(d.deliver).toBe(deliver);
      expect(definedStateName(d.state)).toBe(then === 'no state change' ? given : then);
      // A push follows every change the roster item shows (subscription, ask);
      // "Pending In" alone is not part of the item.
      const after = then === 'no state change' ? before : state(then);
      expect(d.push).toBe(after.subscription !== before.subscription || after.pendingOut !== before.pendingOut);
      expect(d.state.inRoster).toBe(true);
    });
  });
}

describe('RFC 6121 Appendix A.1: defined states', () => {
  it.each(STATES)('"%s" is one of the nine defined states', (name) => {
    expect(definedStateName(state(name))).toBe(name);
  });
});

describe('RFC 6121 Appendix A.2: server processing of outbound subscription stanzas', () => {
  // A.2.1 Subscribe
  table({ direction: 'outbound', type: 'subscribe' }, [
    ['None', true, 'None + Pending Out'],
    ['None + Pending Out', true, 'no state change'],
    ['None + Pending In', true, 'None + Pending Out+In'],
    ['None + Pending Out+In', true, 'no state change'],
    ['To', true, 'no state change'],
    ['To + Pending In', true, 'no state change'],
    ['From', true, 'From + Pending Out'],
    ['From + Pending Out', true, 'no state change'],
    ['Both', true, 'no state change'],
  ]);
  // A.2.2 Unsubscribe
  table({ direction: 'outbound', type: 'unsubscribe' }, [
    ['None', true, 'no state change'],
    ['None + Pending Out', true, 'None'],
    ['None + Pending In', true, 'no state change'],
    ['None + Pending Out+In', true, 'None + Pending In'],
    ['To', true, 'None'],
    ['To + Pending In', true, 'None + Pending In'],
    ['From', true, 'no state change'],
    ['From + Pending Out', true, 'From'],
    ['Both', true, 'From'],
  ]);
  // A.2.3 Subscribed (rows "None", "None + Pending Out" and "To" without pre-approval
  // are covered below: the server supports pre-approval, so they set 'approved').
  table({ direction: 'outbound', type: 'subscribed' }, [
    ['None + Pending In', true, 'From'],
    ['None + Pending Out+In', true, 'From + Pending Out'],
    ['To + Pending In', true, 'Both'],
    ['From', false, 'no state change'],
    ['From + Pending Out', false, 'no state change'],
    ['Both', false, 'no state change'],
  ]);
  // A.2.4 Unsubscribed
  table({ direction: 'outbound', type: 'unsubscribed' }, [
    ['None', false, 'no state change'],
    ['None + Pending Out', false, 'no state change'],
    ['None + Pending In', true, 'None'],
    ['None + Pending Out+In', true, 'None + Pending Out'],
    ['To', false, 'no state change'],
    ['To + Pending In', true, 'To'],
    ['From', true, 'None'],
    ['From + Pending Out', true, 'None + Pending Out'],
    ['Both', true, 'To'],
  ]);
});

describe('RFC 6121 Appendix A.3: server processing of inbound subscription stanzas', () => {
  // A.3.1 Subscribe
  table({ direction: 'inbound', type: 'subscribe' }, [
    ['None', true, 'None + Pending In'],
    ['None + Pending Out', true, 'None + Pending Out+In'],
    ['None + Pending In', false, 'no state change'],
    ['None + Pending Out+In', false, 'no state change'],
    ['To', true, 'To + Pending In'],
    ['To + Pending In', false, 'no state change'],
    ['From', false, 'no state change'],
    ['From + Pending Out', false, 'no state change'],
    ['Both', false, 'no state change'],
  ]);
  // A.3.2 Unsubscribe
  table({ direction: 'inbound', type: 'unsubscribe' }, [
    ['None', false, 'no state change'],
    ['None + Pending Out', false, 'no state change'],
    ['None + Pending In', true, 'None'],
    ['None + Pending Out+In', true, 'None + Pending Out'],
    ['To', false, 'no state change'],
    ['To + Pending In', true, 'To'],
    ['From', true, 'None'],
    ['From + Pending Out', true, 'None + Pending Out'],
    ['Both', true, 'To'],
  ]);
  // A.3.3 Subscribed
  table({ direction: 'inbound', type: 'subscribed' }, [
    ['None', false, 'no state change'],
    ['None + Pending Out', true, 'To'],
    ['None + Pending In', false, 'no state change'],
    ['None + Pending Out+In', true, 'To + Pending In'],
    ['To', false, 'no state change'],
    ['To + Pending In', false, 'no state change'],
    ['From', false, 'no state change'],
    ['From + Pending Out', true, 'Both'],
    ['Both', false, 'no state change'],
  ]);
  // A.3.4 Unsubscribed
  table({ direction: 'inbound', type: 'unsubscribed' }, [
    ['None', false, 'no state change'],
    ['None + Pending Out', true, 'None'],
    ['None + Pending In', false, 'no state change'],
    ['None + Pending Out+In', true, 'None + Pending In'],
    ['To', true, 'None'],
    ['To + Pending In', true, 'None + Pending In'],
    ['From', false, 'no state change'],
    ['From + Pending Out', true, 'From'],
    ['Both', true, 'From'],
  ]);
});

describe('pending inbound "Pending In" rows (the "pushes" of Appendix A are about the visible item)', () => {
  it('an inbound subscribe from an unknown contact is kept without a roster item and pushes nothing', () => {
    const d = decide(ABSENT, { direction: 'inbound', type: 'subscribe' });
    expect(d).toMatchObject({ deliver: true, push: false, forget: false });
    expect(d.state).toMatchObject({ subscription: 'none', pendingIn: true, inRoster: false });
  });

  it('an inbound subscribe to a "None" item adds Pending In, which the roster item does not show', () => {
    const d = decide(state('None'), { direction: 'inbound', type: 'subscribe' });
    expect(d.state.pendingIn).toBe(true);
    expect(d.push).toBe(false);
  });

  it('approving a request from a contact not in the roster adds the contact with subscription "from"', () => {
    const hidden = decide(ABSENT, { direction: 'inbound', type: 'subscribe' }).state;
    const d = decide(hidden, { direction: 'outbound', type: 'subscribed' });
    expect(d).toMatchObject({ deliver: true, push: true, sendPresence: 'available' });
    expect(d.state).toMatchObject({ subscription: 'from', pendingIn: false, inRoster: true });
  });

  it('denying a request from a contact not in the roster forgets it', () => {
    const hidden = decide(ABSENT, { direction: 'inbound', type: 'subscribe' }).state;
    const d = decide(hidden, { direction: 'outbound', type: 'unsubscribed' });
    expect(d).toMatchObject({ deliver: true, push: false, forget: true });
    expect(d.sendPresence).toBeUndefined();
  });

  it('a contact cancelling its request to a user who never added it forgets the request', () => {
    const hidden = decide(ABSENT, { direction: 'inbound', type: 'subscribe' }).state;
    const d = decide(hidden, { direction: 'inbound', type: 'unsubscribe' });
    expect(d).toMatchObject({ deliver: true, push: false, forget: true });
  });

  it('stanzas about a contact the user does not know change nothing and are not delivered', () => {
    for (const type of ['unsubscribe', 'subscribed', 'unsubscribed'] as const) {
      const d = decide(ABSENT, { direction: 'inbound', type });
      expect(d).toMatchObject({ deliver: false, push: false, forget: true });
    }
  });
});

describe('roster item creation on outbound stanzas (RFC 6121 §3.1.2)', () => {
  it('an outbound subscribe to a contact not in the roster adds it with ask="subscribe"', () => {
    const d = decide(ABSENT, { direction: 'outbound', type: 'subscribe' });
    expect(d).toMatchObject({ deliver: true, push: true });
    expect(d.state).toMatchObject({ subscription: 'none', pendingOut: true, inRoster: true });
  });

  it('an outbound unsubscribe for an unknown contact is routed and adds nothing', () => {
    const d = decide(ABSENT, { direction: 'outbound', type: 'unsubscribe' });
    expect(d).toMatchObject({ deliver: true, push: false, forget: true });
  });

  it('an outbound unsubscribed for an unknown contact is neither routed nor stored', () => {
    const d = decide(ABSENT, { direction: 'outbound', type: 'unsubscribed' });
    expect(d).toMatchObject({ deliver: false, push: false, forget: true });
  });
});

describe('RFC 6121 §3.4 subscription pre-approval', () => {
  it.each(['None', 'None + Pending Out', 'To'] as const)('given "%s", an outbound subscribed is not routed and sets approved', (given) => {
    const d = decide(state(given), { direction: 'outbound', type: 'subscribed' });
    expect(d).toMatchObject({ deliver: false, push: true });
    expect(definedStateName(d.state)).toBe(given);
    expect(d.state.approved).toBe(true);
  });

  it('pre-approving a contact not in the roster adds it with subscription "none" and approved', () => {
    const d = decide(ABSENT, { direction: 'outbound', type: 'subscribed' });
    expect(d).toMatchObject({ deliver: false, push: true });
    expect(d.state).toMatchObject({ subscription: 'none', approved: true, inRoster: true });
  });

  it('a second pre-approval changes nothing', () => {
    const d = decide(state('None', { approved: true }), { direction: 'outbound', type: 'subscribed' });
    expect(d).toMatchObject({ deliver: false, push: false });
  });

  it.each([
    ['None', 'From'],
    ['None + Pending Out', 'From + Pending Out'],
    ['To', 'Both'],
  ] as const)('given "%s" pre-approved, an inbound subscribe is auto-approved: not delivered, ends in %s', (given, then) => {
    const d = decide(state(given, { approved: true }), { direction: 'inbound', type: 'subscribe' });
    expect(d).toMatchObject({ deliver: false, autoReply: 'subscribed', sendPresence: 'available', push: true });
    expect(definedStateName(d.state)).toBe(then);
    expect(d.state.approved).toBe(false);
  });

  it('an outbound unsubscribed cancels a pre-approval without routing', () => {
    const d = decide(state('To', { approved: true }), { direction: 'outbound', type: 'unsubscribed' });
    expect(d).toMatchObject({ deliver: false, push: true });
    expect(d.state).toMatchObject({ subscription: 'to', approved: false });
  });

  it('a contact that already has "from" gets an automatic "subscribed" and current presence (§3.1.3)', () => {
    for (const given of ['From', 'From + Pending Out', 'Both'] as const) {
      const d = decide(state(given), { direction: 'inbound', type: 'subscribe' });
      expect(d).toMatchObject({ deliver: false, autoReply: 'subscribed', sendPresence: 'available', push: false });
    }
  });
});

describe('presence the user owes the contact', () => {
  it('approving a request sends current presence (§3.1.5)', () => {
    expect(decide(state('None + Pending In'), { direction: 'outbound', type: 'subscribed' }).sendPresence).toBe('available');
  });

  it.each(['From', 'From + Pending Out', 'Both'] as const)('cancelling the subscription of a contact in "%s" first sends unavailable (§3.2.2)', (given) => {
    expect(decide(state(given), { direction: 'outbound', type: 'unsubscribed' }).sendPresence).toBe('unavailable');
  });

  it.each(['From', 'From + Pending Out', 'Both'] as const)('a contact in "%s" unsubscribing gets unavailable (§3.3.3)', (given) => {
    expect(decide(state(given), { direction: 'inbound', type: 'unsubscribe' }).sendPresence).toBe('unavailable');
  });

  it('denying a mere request sends no presence', () => {
    expect(decide(state('To + Pending In'), { direction: 'outbound', type: 'unsubscribed' }).sendPresence).toBeUndefined();
  });
});

describe('RFC 6121 §2.5.3 presences on roster item removal', () => {
  it.each([
    ['None', [], false],
    ['None + Pending Out', ['unsubscribe'], false],
    ['None + Pending In', ['unsubscribed'], false],
    ['None + Pending Out+In', ['unsubscribe', 'unsubscribed'], false],
    ['To', ['unsubscribe'], false],
    ['To + Pending In', ['unsubscribe', 'unsubscribed'], false],
    ['From', ['unsubscribed'], true],
    ['From + Pending Out', ['unsubscribe', 'unsubscribed'], true],
    ['Both', ['unsubscribe', 'unsubscribed'], true],
  ] as const)('removing a contact in "%s" sends %j (unavailable: %s)', (given, types, unavailable) => {
    expect(presencesOnRemoval(state(given))).toEqual({ types, sendUnavailable: unavailable });
  });
});
