import { ReplyException } from './errors';
import { distinctUsers, PrepareJids } from './jid-pipe';
import { BusContext } from './transport';

const refusal = (f: () => unknown): ReplyException => {
  try {
    f();
  } catch (e) {
    if (e instanceof ReplyException) return e;
    throw e;
  }
  throw new Error('not refused');
};

describe('PrepareJids: JIDs prepared once at the bus edge (RFC 7622)', () => {
  it('prepares an account, a bare and a full JID, leaving other fields and the input as they were', () => {
    const input = { user: 'alicE@LocalHost', contact: 'bOb@localhost/Phone', jid: 'Carol@Example.ORG/Desk', n: 1 };
    const out = new PrepareJids({ user: 'account', contact: 'bare', jid: 'full' }).transform(input);
    expect(out).toEqual({ user: 'alice@localhost', contact: 'bob@localhost', jid: 'carol@example.org/Desk', n: 1 });
    expect(input.user).toBe('alicE@LocalHost');
  });

  it('applies PRECIS mapping, not plain lower-casing', () => {
    expect(new PrepareJids({ user: 'account' }).transform({ user: '\uFF21lice@localhost' })).toEqual({ user: 'alice@localhost' });
  });

  it('reaches nested fields and arrays, and leaves a missing parent or a non-array to the handler', () => {
    const pipe = new PrepareJids({ 'item.jid': 'full', jids: 'bare[]' });
    expect(pipe.transform({ item: { jid: 'A@b', name: 'x' }, jids: ['C@d/e', 'f@G'] })).toEqual({ item: { jid: 'a@b', name: 'x' }, jids: ['c@d', 'f@g'] });
    expect(pipe.transform({ jids: 'not a list' })).toEqual({ jids: 'not a list' });
  });

  it('reaches into every element of an array of objects with a `name[]` segment', () => {
    const pipe = new PrepareJids({ 'data.changes[].jid': 'account' });
    const input = { data: { changes: [{ jid: 'A@B/r1', kind: 'opened' }, { jid: 'c@D/r2', kind: 'closed' }], instanceId: 'gw' } };
    expect(pipe.transform(input)).toEqual({ data: { changes: [{ jid: 'a@b', kind: 'opened' }, { jid: 'c@d', kind: 'closed' }], instanceId: 'gw' } });
    expect(input.data.changes[0].jid).toBe('A@B/r1');
    expect(pipe.transform({ data: { changes: 'none' } })).toEqual({ data: { changes: 'none' } });
    expect(refusal(() => pipe.transform({ data: { changes: [{ jid: 'ok@x/y' }, { jid: 'domain.only' }] } })).error.text).toMatch(/data\.changes\[\]\.jid must be an account JID/);
    expect(refusal(() => pipe.transform({ data: { changes: [{ kind: 'opened' }] } })).error.condition).toBe('jid-malformed');
  });

  it('refuses a missing, malformed or (for accounts) domain-only JID with jid-malformed, or the condition given', () => {
    expect(refusal(() => new PrepareJids({ user: 'account' }).transform({})).error.condition).toBe('jid-malformed');
    expect(refusal(() => new PrepareJids({ user: 'account' }).transform({ user: 'a@b@c' })).error.condition).toBe('jid-malformed');
    expect(refusal(() => new PrepareJids({ user: 'account' }).transform({ user: 'localhost' })).error.text).toMatch(/account JID/);
    expect(refusal(() => new PrepareJids({ jids: 'full[]' }).transform({ jids: ['ok@x', '@nowhere'] })).error.condition).toBe('jid-malformed');
    expect(refusal(() => new PrepareJids({ user: 'account' }, 'bad-request').transform({ user: 42 })).error.condition).toBe('bad-request');
  });

  it('allows an optional field to be absent, and passes the context and non-objects through', () => {
    expect(new PrepareJids({ to: 'bare?' }).transform({})).toEqual({});
    const ctx = new BusContext(['s', 'request', {} as never]);
    expect(new PrepareJids({ user: 'account' }).transform(ctx)).toBe(ctx);
    expect(new PrepareJids({ user: 'account' }).transform(null)).toBeNull();
  });
});

describe('distinctUsers', () => {
  const condition = (f: () => unknown) => {
    try {
      f();
      return 'no error';
    } catch (e) {
      return e instanceof ReplyException ? e.error.condition : String(e);
    }
  };

  it('gives the users of a batched query once each, and refuses an empty, missing or oversized list', () => {
    expect(distinctUsers(['a@x', 'b@x', 'a@x'], 3)).toEqual(['a@x', 'b@x']);
    expect(condition(() => distinctUsers([], 3))).toBe('bad-request');
    expect(condition(() => distinctUsers(undefined, 3))).toBe('bad-request');
    expect(condition(() => distinctUsers('a@x', 3))).toBe('bad-request');
    expect(condition(() => distinctUsers(['a@x', 'b@x', 'c@x', 'd@x'], 3))).toBe('bad-request');
  });
});
