import { bestOf, rankEntries, roundScore, shownPublicScore, utcDay } from './scoring';

describe('course scoring rules', () => {
  it('rounds to the set digits', () => {
    expect(roundScore(0.987654, 3)).toBe(0.988);
    expect(roundScore(0.5, 0)).toBe(1);
  });

  it('ranks best first, ties by the earlier submission, unscored last', () => {
    const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const ranked = rankEntries(
      [
        { key: 'none', score: null, at: null },
        { key: 'late-tie', score: 0.9, at: t(5) },
        { key: 'early-tie', score: 0.9, at: t(1) },
        { key: 'low', score: 0.5, at: t(0) },
        { key: 'best', score: 0.95, at: t(9) },
      ],
      'MAXIMIZE',
    );
    expect(ranked.map((r) => [r.key, r.rank])).toEqual([
      ['best', 1],
      ['early-tie', 2],
      ['late-tie', 3],
      ['low', 4],
      ['none', null],
    ]);
    expect(rankEntries([{ key: 'a', score: 0.2, at: t(0) }, { key: 'b', score: 0.1, at: t(1) }], 'MINIMIZE')[0].key).toBe('b');
  });

  it('picks the best item, the earlier on a tie', () => {
    const a = { id: 'a', score: 0.8, at: new Date(2) };
    const b = { id: 'b', score: 0.8, at: new Date(1) };
    expect(bestOf([a, b, { id: 'c', score: null, at: new Date(0) }], 'MAXIMIZE')?.id).toBe('b');
    expect(bestOf([], 'MAXIMIZE')).toBeUndefined();
  });

  it('Ladder mode shows a new score only when it beats the best shown by more than the margin', () => {
    const opts = { ladder: true, margin: 0.01, digits: 4, direction: 'MAXIMIZE' as const };
    expect(shownPublicScore(0.9, null, opts)).toBe(0.9);
    expect(shownPublicScore(0.905, 0.9, opts)).toBe(0.9); // within the margin: the old best again
    expect(shownPublicScore(0.85, 0.9, opts)).toBe(0.9); // worse: the old best
    expect(shownPublicScore(0.91234, 0.9, opts)).toBe(0.9123); // significant: released, rounded
    expect(shownPublicScore(0.905, 0.9, { ...opts, ladder: false })).toBe(0.905);
    expect(shownPublicScore(0.2, 0.3, { ...opts, direction: 'MINIMIZE' })).toBe(0.2);
  });

  it('daily quotas reset at midnight UTC', () => {
    const { start, resetsAt } = utcDay(new Date('2026-11-29T23:59:59+05:00'));
    expect(start.toISOString()).toBe('2026-11-29T00:00:00.000Z');
    expect(resetsAt.toISOString()).toBe('2026-11-30T00:00:00.000Z');
  });
});
