import { decideStore, StoreContext } from './decide';

const arrivedAt = new Date('2025-01-02T10:00:00.000Z');

function given(over: Partial<StoreContext> = {}): StoreContext {
  return { storability: { storable: true }, arrivedAt, pending: 0, quota: 1000, ...over };
}

describe('the store decision', () => {
  it('stores a storable message for a user below quota', () => {
    expect(decideStore(given({ pending: 999 }))).toEqual({ kind: 'store' });
  });

  it('refuses with reason quota once the user has quota messages waiting', () => {
    expect(decideStore(given({ pending: 1000 }))).toEqual({ kind: 'refuse', reason: 'quota' });
    expect(decideStore(given({ pending: 3, quota: 3 }))).toEqual({ kind: 'refuse', reason: 'quota' });
  });

  it('refuses a non-storable message with its rule, before looking at the quota', () => {
    expect(decideStore(given({ storability: { storable: false, detail: 'type-headline' }, pending: 5000 }))).toEqual({
      kind: 'refuse',
      reason: 'not-storable',
      detail: 'type-headline',
    });
  });

  it('refuses a message that arrived before its recipient account was deleted', () => {
    expect(decideStore(given({ accountErasedAt: new Date(arrivedAt.getTime() + 1) }))).toEqual({ kind: 'refuse', reason: 'account-deleted' });
    expect(decideStore(given({ accountErasedAt: arrivedAt }))).toEqual({ kind: 'refuse', reason: 'account-deleted' });
  });

  it('stores a message for a re-registered account that arrived after the deletion', () => {
    expect(decideStore(given({ accountErasedAt: new Date(arrivedAt.getTime() - 1) }))).toEqual({ kind: 'store' });
  });
});
