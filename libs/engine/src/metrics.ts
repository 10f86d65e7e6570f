/**
 * Classification metrics from a confusion matrix. Pure arithmetic, no tensors.
 * Convention: confusion[actual][predicted]. Macro averages are plain means over all classes; a class's
 * precision (recall) is 0 when nothing was predicted as (labelled) it, as scikit-learn's zero_division=0.
 */

export interface ClassMetrics {
  /** The class's name, when the dataset gives names. */
  name?: string;
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
  /** Micro averages (pooled counts). For single-label classification all three equal accuracy. */
  micro: { precision: number; recall: number; f1: number };
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

export function metricsFromConfusion(confusion: number[][], classNames?: readonly string[]): ClassificationMetrics {
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
    perClass.push({ ...(classNames?.[c] != null ? { name: classNames[c] } : {}), precision, recall, f1, support });
  }
  const mean = (f: (m: ClassMetrics) => number) => (k === 0 ? 0 : perClass.reduce((s, m) => s + f(m), 0) / k);
  // Micro: TP = trace; every wrong prediction is one FP (its column) and one FN (its row).
  const microP = total === 0 ? 0 : correct / total;
  return {
    accuracy: total === 0 ? 0 : correct / total,
    precision: mean((m) => m.precision),
    recall: mean((m) => m.recall),
    f1: mean((m) => m.f1),
    micro: { precision: microP, recall: microP, f1: microP },
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

/**
 * How many rows have their true label among the k largest values (ties broken toward the lower
 * index, as tf.topk). Row-major [n, classes].
 *
 * Each row costs the same whether its label is among the top k or not: every class is compared,
 * with no early exit and no branch on the outcome, so timing it (scoring a hidden split) says
 * nothing about the labels.
 */
export function topKCorrect(values: ArrayLike<number>, labels: ArrayLike<number>, classes: number, k: number): number {
  let hits = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    const v = values[i * classes + y];
    let above = 0;
    for (let j = 0; j < classes; j++) {
      const u = values[i * classes + j];
      above += Number(u > v) | (Number(u === v) & Number(j < y));
    }
    hits += Number(above < k);
  }
  return hits;
}

export interface RegressionMetrics {
  mse: number;
  mae: number;
  /** 1 − SS_res / SS_tot over all outputs (0 when the targets are constant). */
  r2: number;
  count: number;
}

/** Running sums for MSE, MAE and R² over batches of predictions and targets (same length). */
export class RegressionAccumulator {
  private n = 0;
  private se = 0;
  private ae = 0;
  private sum = 0;
  private sumSq = 0;
  private samples = 0;

  add(predicted: ArrayLike<number>, target: ArrayLike<number>, samples = 1): void {
    if (predicted.length !== target.length) throw new Error(`${predicted.length} predictions but ${target.length} targets`);
    for (let i = 0; i < target.length; i++) {
      const d = predicted[i] - target[i];
      this.se += d * d;
      this.ae += Math.abs(d);
      this.sum += target[i];
      this.sumSq += target[i] * target[i];
    }
    this.n += target.length;
    this.samples += samples;
  }

  result(): RegressionMetrics {
    if (this.n === 0) return { mse: 0, mae: 0, r2: 0, count: 0 };
    const ssTot = this.sumSq - (this.sum * this.sum) / this.n;
    return { mse: this.se / this.n, mae: this.ae / this.n, r2: ssTot > 0 ? 1 - this.se / ssTot : 0, count: this.samples };
  }
}
