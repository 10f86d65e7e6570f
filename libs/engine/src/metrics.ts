/**
 * Classification metrics from a confusion matrix. Pure arithmetic, no tensors.
 * Convention: confusion[actual][predicted]. Macro averages are plain means over all classes; a class's
 * precision (recall) is 0 when nothing was predicted as (labelled) it, as scikit-learn's zero_division=0.
 */

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Number of samples whose true label is this class. */
  support: number;
}

export interface ClassificationMetrics {
  accuracy: number;
  /** Macro averages over classes. */
  precision: number;
  recall: number;
  f1: number;
  perClass: ClassMetrics[];
  /** confusionMatrix[actual][predicted] = count. */
  confusionMatrix: number[][];
  /** Samples counted. */
  count: number;
}

export function emptyConfusion(numClasses: number): number[][] {
  return Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
}

/** Adds (actual, predicted) pairs to `confusion` in place. Labels outside [0, k) throw. */
export function accumulateConfusion(confusion: number[][], actual: ArrayLike<number>, predicted: ArrayLike<number>): void {
  if (actual.length !== predicted.length) {
    throw new Error(`${actual.length} labels but ${predicted.length} predictions`);
  }
  const k = confusion.length;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const p = predicted[i];
    if (!(a >= 0 && a < k && p >= 0 && p < k)) throw new Error(`label ${a} or prediction ${p} outside [0, ${k})`);
    confusion[a][p]++;
  }
}

export function metricsFromConfusion(confusion: number[][]): ClassificationMetrics {
  const k = confusion.length;
  let total = 0;
  let correct = 0;
  const perClass: ClassMetrics[] = [];
  for (let c = 0; c < k; c++) {
    let support = 0; // row sum: labelled c
    let predicted = 0; // column sum: predicted c
    for (let j = 0; j < k; j++) {
      support += confusion[c][j];
      predicted += confusion[j][c];
    }
    const tp = confusion[c][c];
    total += support;
    correct += tp;
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perClass.push({ precision, recall, f1, support });
  }
  const mean = (f: (m: ClassMetrics) => number) => (k === 0 ? 0 : perClass.reduce((s, m) => s + f(m), 0) / k);
  return {
    accuracy: total === 0 ? 0 : correct / total,
    precision: mean((m) => m.precision),
    recall: mean((m) => m.recall),
    f1: mean((m) => m.f1),
    perClass,
    confusionMatrix: confusion.map((row) => row.slice()),
    count: total,
  };
}

/** Index of the largest value in each row of a row-major [n, k] matrix. */
export function argmaxRows(values: ArrayLike<number>, k: number): Int32Array {
  const n = Math.floor(values.length / k);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (values[i * k + j] > values[i * k + best]) best = j;
    out[i] = best;
  }
  return out;
}
