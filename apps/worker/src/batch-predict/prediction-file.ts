/**
 * The lines of a predictions file, one per sample in split order: JSONL objects or CSV rows with the
 * sample's index, its label (as the dataset records it) and the model's top-k classes with names and
 * probabilities, best first. Pure functions.
 */
export type PredictionFormat = 'JSONL' | 'CSV';

export interface PredictionRow {
  index: number;
  label: number | null;
  /** Softmax probabilities of this sample, one per class. */
  probabilities: ArrayLike<number>;
}

/** The k best classes, best first (ties: the lower index first). */
export function topClasses(p: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: p.length }, (_, i) => i);
  idx.sort((a, b) => p[b] - p[a] || a - b);
  return idx.slice(0, Math.min(k, p.length));
}

const csvField = (s: string) => (/[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const round = (x: number) => Math.round(x * 1e6) / 1e6;

export function header(format: PredictionFormat, k: number): string {
  if (format === 'JSONL') return '';
  const cols = ['index', 'label', 'label_name'];
  for (let i = 1; i <= k; i++) cols.push(`class_${i}`, `name_${i}`, `probability_${i}`);
  return `${cols.join(',')}\n`;
}

export function line(format: PredictionFormat, row: PredictionRow, k: number, classNames: readonly string[]): string {
  const top = topClasses(row.probabilities, k);
  const labelName = row.label === null ? null : (classNames[row.label] ?? String(row.label));
  if (format === 'JSONL') {
    return `${JSON.stringify({
      index: row.index,
      label: row.label,
      label_name: labelName,
      top_k: top.map((c) => ({ class: c, name: classNames[c], probability: round(row.probabilities[c]) })),
    })}\n`;
  }
  const cells = [String(row.index), row.label === null ? '' : String(row.label), csvField(labelName ?? '')];
  for (const c of top) cells.push(String(c), csvField(classNames[c]), String(round(row.probabilities[c])));
  return `${cells.join(',')}\n`;
}
