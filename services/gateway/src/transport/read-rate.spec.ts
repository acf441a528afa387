import { ReadRate } from './read-rate';

describe('ReadRate', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('lets a burst through, pauses once the bucket runs dry, and resumes when it has refilled', () => {
    const calls: string[] = [];
    const r = new ReadRate(1000, 4000, () => calls.push('pause'), () => calls.push('resume'));
    r.take(4000); // the whole burst
    expect(calls).toEqual([]);
    r.take(500); // 500 bytes over: half a second at 1000 B/s
    expect(calls).toEqual(['pause']);
    expect(r.paused).toBe(true);
    r.take(100); // read while paused (already buffered): counted, no second pause
    expect(calls).toEqual(['pause']);
    jest.advanceTimersByTime(499);
    expect(calls).toEqual(['pause']);
    jest.advanceTimersByTime(1);
    expect(calls).toEqual(['pause', 'resume']);
    expect(r.paused).toBe(false);
    r.take(1); // the 100 bytes read while paused are still owed: paused again
    expect(calls).toEqual(['pause', 'resume', 'pause']);
  });

  it('refills at the rate with time, never above the burst', () => {
    const calls: string[] = [];
    const r = new ReadRate(1000, 2000, () => calls.push('pause'), () => calls.push('resume'));
    r.take(2000);
    jest.advanceTimersByTime(10_000); // refills to the burst, not to 10 000
    r.take(2000);
    expect(calls).toEqual([]);
    r.take(1);
    expect(calls).toEqual(['pause']);
  });
});
