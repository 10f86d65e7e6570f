/**
 * A team's retention policy for the checkpoints of finished experiments: keep the best one and the
 * newest `keepNewest`; deployed checkpoints are always kept. "Best" is chosen by the run's validation
 * metric (RetentionMetric) among the checkpoints taken at an epoch end that has it. Fallback, for a run
 * without a validation split (no epoch has the metric): the checkpoint with the lowest training loss
 * recorded at or before its step (LossMonitor's series), the state the run was in when it was saved.
 */
export interface RetentionCandidate {
  id: string;
  step: number;
  deployed: boolean;
}

/** The metric "best" means for one run: its value at the steps of its epoch ends. */
export interface RetentionMetric {
  monitor: string;
  higherIsBetter: boolean;
  /** Value at an epoch's last step (epoch summaries); steps without the metric are left out. */
  values: ReadonlyArray<{ step: number; value: number }>;
}

/** What an epoch summary holds (the engine's EpochSummaryData, the fields read here). */
interface SummaryLike {
  meanLoss?: number | null;
  accuracy?: number | null;
  val?: Record<string, number> | null;
}

/**
 * The metric that picks a run's best checkpoint: keep-best's monitor when the spec sets one, else
 * EarlyStopping's when it watches a validation metric, else val_loss; read from the run's epoch
 * summaries. `undefined` when no epoch has it (no validation split): the training-loss fallback.
 */
export function retentionMetric(
  spec: { checkpoint?: { keepBest?: { monitor?: string } }; earlyStopping?: { monitor?: string } } | null | undefined,
  summaries: ReadonlyArray<{ step: number; data: unknown }>,
): RetentionMetric | undefined {
  const es = spec?.earlyStopping?.monitor;
  const monitor = spec?.checkpoint?.keepBest?.monitor ?? (es?.startsWith('val_') ? es : 'val_loss');
  const read = (d: SummaryLike): number | null | undefined => {
    switch (monitor) {
      case 'loss':
        return d.meanLoss;
      case 'accuracy':
        return d.accuracy;
      default:
        return monitor.startsWith('val_') ? d.val?.[monitor.slice(4)] : undefined;
    }
  };
  const values = summaries.flatMap((s) => {
    const v = s.data && typeof s.data === 'object' ? read(s.data as SummaryLike) : undefined;
    return typeof v === 'number' && Number.isFinite(v) ? [{ step: s.step, value: v }] : [];
  });
  if (!values.length) return undefined;
  return { monitor, higherIsBetter: monitor.endsWith('accuracy'), values };
}

/**
 * Ids of the checkpoints the policy releases, ascending by step. `losses` sorted by step or not.
 * With `metric`, the best is the checkpoint with the best metric value at its own step (an epoch end);
 * when no checkpoint has one, or without `metric`, the training-loss rule above.
 */
export function checkpointsToRelease(
  checkpoints: readonly RetentionCandidate[],
  losses: ReadonlyArray<{ step: number; loss: number }>,
  keepNewest: number,
  metric?: RetentionMetric,
): string[] {
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
  const atStep = new Map((metric?.values ?? []).map((v) => [v.step, v.value]));
  if (metric) {
    let bestValue = 0;
    for (const c of byStep) {
      const v = atStep.get(c.step);
      if (v === undefined) continue;
      if (!best || (metric.higherIsBetter ? v > bestValue : v < bestValue)) {
        best = c;
        bestValue = v;
      }
    }
  }
  if (!best) for (const c of byStep) if (!best || lossAt(c.step) < lossAt(best.step)) best = c;
  if (best) keep.add(best.id);
  return byStep.filter((c) => !keep.has(c.id) && !c.deployed).map((c) => c.id);
}
