/**
 * Course scoring rules, shared by the API (leaderboards, grades) and the worker (scoring): pure
 * functions, unit-tested beside.
 */
export type Direction = 'MAXIMIZE' | 'MINIMIZE';

/** The metrics an assignment may rank by: names in the engine's evaluation. */
export const PRIMARY_METRICS = { accuracy: 'accuracy', macro_f1: 'f1' } as const;
export type PrimaryMetric = keyof typeof PRIMARY_METRICS;

export const roundScore = (value: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/** Whether a beats b under the direction (strictly). */
export const beats = (a: number, b: number, direction: Direction): boolean => (direction === 'MAXIMIZE' ? a > b : a < b);

/**
 * The public score a student is shown. Plain mode: the score, rounded. Ladder mode (Blum & Hardt,
 * "The Ladder: A Reliable Leaderboard for Machine Learning Competitions", 2015): a new score is
 * released only when it beats the best score shown so far by more than `margin`; otherwise the
 * previous best is shown again, so repeated submissions learn (almost) nothing about the hidden labels.
 */
export function shownPublicScore(
  score: number,
  previousBestShown: number | null,
  opts: { ladder: boolean; margin: number; digits: number; direction: Direction },
): number {
  const rounded = roundScore(score, opts.digits);
  if (!opts.ladder || previousBestShown === null) return rounded;
  const improvement = opts.direction === 'MAXIMIZE' ? score - previousBestShown : previousBestShown - score;
  return improvement > opts.margin ? rounded : previousBestShown;
}

export interface RankEntry {
  key: string;
  score: number | null;
  /** When the entry's deciding submission was made: earlier wins a tie. */
  at: Date | null;
}

/** Best first; ties by the earlier submission; entries without a score last (by key, for a stable order). */
export function rankEntries<T extends RankEntry>(entries: T[], direction: Direction): Array<T & { rank: number | null }> {
  const sorted = [...entries].sort((a, b) => {
    if (a.score === null || b.score === null) return a.score === null && b.score === null ? a.key.localeCompare(b.key) : a.score === null ? 1 : -1;
    if (a.score !== b.score) return beats(a.score, b.score, direction) ? -1 : 1;
    return (a.at?.getTime() ?? 0) - (b.at?.getTime() ?? 0);
  });
  return sorted.map((e, i) => ({ ...e, rank: e.score === null ? null : i + 1 }));
}

/** The best of several scored items (ties: the earlier one). */
export function bestOf<T extends { score: number | null; at: Date }>(items: T[], direction: Direction): T | undefined {
  let best: T | undefined;
  for (const it of items) {
    if (it.score === null) continue;
    if (!best || beats(it.score, best.score!, direction) || (it.score === best.score && it.at < best.at)) best = it;
  }
  return best;
}

/** Start of the UTC day containing `now` and the next reset (daily quotas reset at 00:00 UTC). */
export function utcDay(now: Date): { start: Date; resetsAt: Date } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  return { start, resetsAt: new Date(start.getTime() + 86_400_000) };
}
