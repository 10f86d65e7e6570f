import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The moment a scoring job may make its result visible: the first whole multiple of `quantumMs`
 * after `startMs` that is not before `nowMs` (at least one quantum after the start). With a
 * quantum of 0 the padding is off and the answer is `nowMs`.
 *
 * How long scoring took is then visible only as a count of quanta: differences smaller than a
 * quantum (a model that is right on the hidden split against one that is wrong) disappear.
 */
export function visibleAt(startMs: number, nowMs: number, quantumMs: number): number {
  if (quantumMs <= 0) return nowMs;
  return startMs + Math.max(1, Math.ceil((nowMs - startMs) / quantumMs)) * quantumMs;
}

/** Resolves once the wall clock (Date.now(), the clock scoredAt is written in) has reached `atMs`. */
export async function waitUntil(atMs: number): Promise<void> {
  // Timers run on a monotonic clock and may wake a millisecond before Date.now() says so: loop.
  for (let left = atMs - Date.now(); left > 0; left = atMs - Date.now()) await sleep(left);
}
