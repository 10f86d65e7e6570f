import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('allows the burst, then the rate, per key, and says how long to wait', () => {
    let now = 0;
    const l = new RateLimiter(2, 3, () => now);
    expect([l.take('a'), l.take('a'), l.take('a')]).toEqual([0, 0, 0]);
    expect(l.take('a')).toBe(1);
    expect(l.take('b')).toBe(0); // other keys unaffected
    now = 500; // one token back
    expect(l.take('a')).toBe(0);
    expect(l.take('a')).toBeGreaterThan(0);
  });

  it('does nothing at rate 0', () => {
    const l = new RateLimiter(0, 1);
    for (let i = 0; i < 100; i++) expect(l.take('a')).toBe(0);
  });
});
