import { WindowCounter } from './throttle';

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
