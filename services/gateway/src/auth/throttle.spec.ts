import { LoginThrottle, WindowCounter } from './throttle';

describe('WindowCounter', () => {
  it('is over the limit after limit hits within the window', () => {
    const c = new WindowCounter(3, 60_000);
    c.hit('k');
    c.hit('k');
    expect(c.over('k')).toBe(false);
    c.hit('k');
    expect(c.over('k')).toBe(true);
    expect(c.over('other')).toBe(false);
  });

  it('forgets a key after the window', () => {
    jest.useFakeTimers();
    try {
      const c = new WindowCounter(1, 1000);
      c.hit('k');
      expect(c.over('k')).toBe(true);
      jest.advanceTimersByTime(1001);
      expect(c.over('k')).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });

  it('clears a key on request', () => {
    const c = new WindowCounter(1, 60_000);
    c.hit('k');
    c.clear('k');
    expect(c.over('k')).toBe(false);
  });
});

describe('LoginThrottle', () => {
  const opts = { freePerAddress: 5, freePerPair: 2, accountCeiling: 10, windowMs: 60_000, baseDelayMs: 250, maxDelayMs: 4000 };

  it('answers free failures at once, then holds answers back, doubling up to the cap', () => {
    const t = new LoginThrottle(opts);
    const delays = Array.from({ length: 8 }, () => t.failed('alice', '192.0.2.1'));
    expect(delays).toEqual([0, 0, 250, 500, 1000, 2000, 4000, 4000]);
  });

  it('counts an address over every account it tries', () => {
    const t = new LoginThrottle(opts);
    const delays = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((u) => t.failed(u, '192.0.2.1'));
    expect(delays).toEqual([0, 0, 0, 0, 0, 250, 500]);
    expect(t.failed(undefined, '192.0.2.1')).toBe(1000); // unknown users count for the address too
  });

  it('refuses only addresses that failed against an account past its ceiling, never a fresh one', () => {
    const t = new LoginThrottle({ ...opts, accountCeiling: 3 });
    t.failed('alice', '192.0.2.1');
    t.failed('alice', '192.0.2.2');
    expect(t.refused('alice', '192.0.2.1')).toBe(false);
    t.failed('alice', '192.0.2.1');
    expect(t.refused('alice', '192.0.2.1')).toBe(true);
    expect(t.refused('alice', '192.0.2.2')).toBe(true);
    expect(t.refused('alice', '198.51.100.7')).toBe(false); // the owner elsewhere
    expect(t.refused('bob', '192.0.2.1')).toBe(false);
  });

  it('forgets an address’s failures against an account after a correct login from it', () => {
    const t = new LoginThrottle(opts);
    for (let i = 0; i < 3; i++) t.failed('alice', '192.0.2.1');
    t.succeeded('alice', '192.0.2.1');
    expect(t.failed('alice', '192.0.2.1')).toBe(0);
  });

  it('forgets everything after the window', () => {
    jest.useFakeTimers();
    try {
      const t = new LoginThrottle({ ...opts, accountCeiling: 1 });
      for (let i = 0; i < 4; i++) t.failed('alice', '192.0.2.1');
      expect(t.refused('alice', '192.0.2.1')).toBe(true);
      jest.advanceTimersByTime(60_001);
      expect(t.refused('alice', '192.0.2.1')).toBe(false);
      expect(t.failed('alice', '192.0.2.1')).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
