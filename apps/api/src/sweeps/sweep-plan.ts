import { badInput } from '@trainyard/common';

/**
 * A sweep's search space: for each hyperparameter, the values to try. Grid takes every combination;
 * random draws `budget` distinct combinations with a seeded generator (the same seed, the same trials).
 */
export interface SweepSpace {
  learningRate?: number[];
  batchSize?: number[];
  optimizer?: string[];
  weightDecay?: number[];
  /** Model settings to try, each merged over the base input's model (e.g. { numClasses: 12 }). */
  model?: Array<Record<string, unknown>>;
}

export type TrialParams = { [K in keyof SweepSpace]?: NonNullable<SweepSpace[K]>[number] };

export const MAX_TRIALS = 100;
const DIMENSIONS: Array<keyof SweepSpace> = ['learningRate', 'batchSize', 'optimizer', 'weightDecay', 'model'];

export function planTrials(space: SweepSpace, strategy: 'GRID' | 'RANDOM', budget: number, seed = 1): TrialParams[] {
  if (!Number.isInteger(budget) || budget < 1 || budget > MAX_TRIALS) {
    throw badInput(`budget must be an integer from 1 to ${MAX_TRIALS}, got ${budget}`, { field: 'budget' });
  }
  const dims = DIMENSIONS.filter((d) => space[d] !== undefined && space[d] !== null);
  if (!dims.length) throw badInput(`the search space is empty: give values for at least one of ${DIMENSIONS.join(', ')}`, { field: 'space' });
  for (const d of dims) {
    const values = space[d] as unknown[];
    if (!Array.isArray(values) || values.length === 0) throw badInput(`space.${d} must list at least one value`, { field: `space.${d}` });
    if (values.length > MAX_TRIALS) throw badInput(`space.${d} lists ${values.length} values; at most ${MAX_TRIALS}`, { field: `space.${d}` });
  }
  const sizes = dims.map((d) => (space[d] as unknown[]).length);
  const total = sizes.reduce((a, b) => a * b, 1);
  const decode = (index: number): TrialParams => {
    const params: Record<string, unknown> = {};
    let rest = index;
    for (let i = dims.length - 1; i >= 0; i--) {
      params[dims[i]] = (space[dims[i]] as unknown[])[rest % sizes[i]];
      rest = Math.floor(rest / sizes[i]);
    }
    return params as TrialParams;
  };
  if (strategy === 'GRID') {
    if (total > budget) {
      throw badInput(`the grid has ${total} trials (${dims.map((d, i) => `${sizes[i]} ${d}`).join(' x ')}), more than the budget of ${budget}`, {
        field: 'budget',
      });
    }
    return Array.from({ length: total }, (_, i) => decode(i));
  }
  // RANDOM: distinct combinations, as many as the budget allows.
  const n = Math.min(budget, total);
  const rng = mulberry32(seed);
  const chosen = new Set<number>();
  while (chosen.size < n) chosen.add(Math.floor(rng() * total));
  return [...chosen].map(decode);
}

/** A small seeded PRNG (mulberry32): [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Ranks finished trials by the sweep's metric; undefined when none has it yet. */
export function bestTrial<T extends { metrics: unknown }>(trials: T[], metric: string, maximize: boolean): T | undefined {
  let best: T | undefined;
  let bestValue = 0;
  for (const t of trials) {
    const v = (t.metrics as Record<string, unknown> | null)?.[metric];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (!best || (maximize ? v > bestValue : v < bestValue)) {
      best = t;
      bestValue = v;
    }
  }
  return best;
}
