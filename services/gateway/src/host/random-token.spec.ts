import { randomToken } from './random-token';

describe('randomToken', () => {
  it('gives each caller fresh bytes of the asked length, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const t = randomToken(18, 'base64');
      expect(Buffer.from(t, 'base64')).toHaveLength(18);
      seen.add(t);
    }
    expect(seen.size).toBe(3000);
    expect(randomToken(6, 'hex')).toMatch(/^[0-9a-f]{12}$/);
    expect(randomToken(12, 'base64url')).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('spreads its bytes: every value of a byte appears in 64 KiB of output', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 256; i++) for (const b of Buffer.from(randomToken(256, 'hex'), 'hex')) counts[b] += 1;
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });

  it('refuses lengths it cannot serve', () => {
    expect(() => randomToken(0, 'hex')).toThrow(RangeError);
    expect(() => randomToken(257, 'hex')).toThrow(RangeError);
    expect(() => randomToken(1.5, 'hex')).toThrow(RangeError);
  });
});
