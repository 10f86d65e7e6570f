import { visibleAt, waitUntil } from './time-quantum';

describe('visibleAt', () => {
  it('is the next whole multiple of the quantum after the start, never the start itself', () => {
    expect(visibleAt(1_000, 1_000, 300)).toBe(1_300);
    expect(visibleAt(1_000, 1_001, 300)).toBe(1_300);
    expect(visibleAt(1_000, 1_300, 300)).toBe(1_300);
    expect(visibleAt(1_000, 1_301, 300)).toBe(1_600);
    expect(visibleAt(1_000, 10_000, 300)).toBe(10_000);
  });

  it('gives one answer for every finishing time within a quantum', () => {
    const seen = new Set<number>();
    for (let now = 5_001; now <= 7_000; now++) seen.add(visibleAt(5_000, now, 2_000));
    expect([...seen]).toEqual([7_000]);
  });

  it('a worker clock behind the start still waits one quantum', () => {
    expect(visibleAt(1_000, 900, 300)).toBe(1_300);
  });

  it('with a quantum of 0 the result is visible at once', () => {
    expect(visibleAt(1_000, 1_234, 0)).toBe(1_234);
  });
});

describe('waitUntil', () => {
  it('returns no earlier than the given wall-clock time', async () => {
    const at = Date.now() + 50;
    await waitUntil(at);
    expect(Date.now()).toBeGreaterThanOrEqual(at);
  });

  it('returns at once for a time already past', async () => {
    const t0 = Date.now();
    await waitUntil(t0 - 1_000);
    expect(Date.now() - t0).toBeLessThan(500); // not the second it is in the past (a loose bound: CI machines pause)
  });
});
