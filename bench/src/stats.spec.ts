import { percentile, ratePerSecond, Samples, summarize } from './stats';

describe('percentile (nearest rank)', () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('returns the value at rank ceil(p·n)', () => {
    expect(percentile(oneToHundred, 50)).toBe(50);
    expect(percentile(oneToHundred, 90)).toBe(90);
    expect(percentile(oneToHundred, 99)).toBe(99);
    expect(percentile(oneToHundred, 99.5)).toBe(100);
  });

  it('p0 is the minimum and p100 the maximum', () => {
    expect(percentile(oneToHundred, 0)).toBe(1);
    expect(percentile(oneToHundred, 100)).toBe(100);
  });

  it('reports only observed values for small samples', () => {
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 51)).toBe(3);
    expect(percentile([1, 1000], 99)).toBe(1000);
  });

  it('is NaN without samples and refuses percentiles outside 0..100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
    expect(() => percentile([1], NaN)).toThrow(RangeError);
  });

  it('a single slow outlier among 1000 shows in p99 only when it is 1% of the samples', () => {
    const fast = Array.from({ length: 990 }, () => 1);
    const slow = Array.from({ length: 10 }, () => 500);
    expect(percentile([...fast, ...slow], 99)).toBe(1);
    expect(percentile([...fast, ...slow, 500], 99)).toBe(500);
  });
});

describe('Samples', () => {
  it('grows past its initial capacity and sorts numerically, not lexically', () => {
    const s = new Samples(2);
    for (const v of [10, 9, 100, 1, 2.5]) s.add(v);
    expect(s.count).toBe(5);
    expect(Array.from(s.sorted())).toEqual([1, 2.5, 9, 10, 100]);
  });

  it('summarises count, min, mean, percentiles and max', () => {
    const s = new Samples();
    for (let i = 1000; i >= 1; i--) s.add(i);
    expect(s.summary()).toEqual({ count: 1000, min: 1, mean: 500.5, p50: 500, p90: 900, p99: 990, max: 1000 });
  });

  it('summarises an empty list as NaN fields with count 0', () => {
    const sum = summarize([]);
    expect(sum.count).toBe(0);
    expect(sum.p99).toBeNaN();
    expect(sum.max).toBeNaN();
    expect(sum.mean).toBeNaN();
  });
});

describe('ratePerSecond', () => {
  it('scales a count over milliseconds to per second, and is 0 without time', () => {
    expect(ratePerSecond(500, 250)).toBe(2000);
    expect(ratePerSecond(5, 0)).toBe(0);
  });
});
