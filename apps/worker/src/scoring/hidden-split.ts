import { createRng } from '@trainyard/data';

/**
 * Indices of the hidden split in its fixed public/private partition: a seeded shuffle (the
 * assignment's splitSeed), the first `fraction` public. The same seed always gives the same split.
 */
export function partitionHiddenSplit(count: number, fraction: number, seed: number): { publicIdx: number[]; privateIdx: number[] } {
  const order = Array.from({ length: count }, (_, i) => i);
  const rng = createRng(seed);
  for (let i = count - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const k = Math.max(1, Math.min(count - 1, Math.round(count * fraction)));
  return { publicIdx: order.slice(0, k).sort((a, b) => a - b), privateIdx: order.slice(k).sort((a, b) => a - b) };
}

