/**
 * A team's retention policy for the checkpoints of finished experiments: keep the best one and the
 * newest `keepNewest`; deployed checkpoints are always kept. "Best" is the checkpoint with the lowest
 * training loss recorded at or before its step (LossMonitor's series): the state the run was in when
 * it was saved.
 */
export interface RetentionCandidate {
  id: string;
  step: number;
  deployed: boolean;
}

/** Ids of the checkpoints the policy releases, ascending by step. `losses` sorted by step or not. */
export function checkpointsToRelease(checkpoints: readonly RetentionCandidate[], losses: ReadonlyArray<{ step: number; loss: number }>, keepNewest: number): string[] {
  if (!Number.isInteger(keepNewest) || keepNewest < 0) throw new Error(`keepNewest must be an integer >= 0, got ${keepNewest}`);
  const byStep = [...checkpoints].sort((a, b) => a.step - b.step);
  const points = [...losses].sort((a, b) => a.step - b.step);
  const lossAt = (step: number): number => {
    let found = Number.POSITIVE_INFINITY;
    for (const p of points) {
      if (p.step > step) break;
      if (Number.isFinite(p.loss)) found = p.loss;
    }
    return found;
  };
  const keep = new Set(byStep.slice(Math.max(0, byStep.length - keepNewest)).map((c) => c.id));
  let best: RetentionCandidate | undefined;
  for (const c of byStep) if (!best || lossAt(c.step) < lossAt(best.step)) best = c;
  if (best) keep.add(best.id);
  return byStep.filter((c) => !keep.has(c.id) && !c.deployed).map((c) => c.id);
}
