import { RegressionAccumulator, accumulateConfusion, argmaxRows, emptyConfusion, metricsFromConfusion, topKCorrect } from './metrics';

describe('metricsFromConfusion', () => {
  // actual → predicted pairs, 3 classes:
  // class 0: 3 samples, predicted 0,0,1      class 1: 2 samples, predicted 1,2      class 2: 1 sample, predicted 2
  const actual = [0, 0, 0, 1, 1, 2];
  const predicted = [0, 0, 1, 1, 2, 2];

  it('computes accuracy, per-class and macro precision/recall/f1 by hand', () => {
    const confusion = emptyConfusion(3);
    accumulateConfusion(confusion, actual, predicted);
    expect(confusion).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    const m = metricsFromConfusion(confusion);
    expect(m.accuracy).toBeCloseTo(4 / 6, 12);
    // precision: c0 2/2, c1 1/2, c2 1/2; recall: c0 2/3, c1 1/2, c2 1/1
    expect(m.perClass.map((c) => c.precision)).toEqual([1, 0.5, 0.5]);
    expect(m.perClass.map((c) => c.recall)).toEqual([2 / 3, 0.5, 1]);
    expect(m.perClass.map((c) => c.support)).toEqual([3, 2, 1]);
    // f1: c0 2*1*(2/3)/(5/3) = 0.8, c1 0.5, c2 2*0.5*1/1.5 = 2/3
    expect(m.perClass[0].f1).toBeCloseTo(0.8, 12);
    expect(m.perClass[1].f1).toBeCloseTo(0.5, 12);
    expect(m.perClass[2].f1).toBeCloseTo(2 / 3, 12);
    expect(m.precision).toBeCloseTo(2 / 3, 12);
    expect(m.recall).toBeCloseTo((2 / 3 + 0.5 + 1) / 3, 12);
    expect(m.f1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
    expect(m.count).toBe(6);
  });

  it('a class never predicted and never present scores 0, not NaN', () => {
    const m = metricsFromConfusion([
      [3, 0],
      [0, 0],
    ]);
    expect(m.accuracy).toBe(1);
    expect(m.perClass[1]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(m.precision).toBe(0.5);
  });

  it('rejects labels out of range', () => {
    expect(() => accumulateConfusion(emptyConfusion(2), [2], [0])).toThrow('outside [0, 2)');
  });
});

describe('argmaxRows', () => {
  it('takes the first maximum of each row', () => {
    expect(Array.from(argmaxRows([0.1, 0.7, 0.2, 5, 5, -1, -3, -2, -1], 3))).toEqual([1, 0, 2]);
  });
});

describe('top-k, micro averages, class names, regression', () => {
  it('topKCorrect counts labels among the k largest (ties toward the lower index)', () => {
    const v = [0.1, 0.5, 0.4, /* row 2 */ 0.3, 0.3, 0.4, /* row 3 */ 0.9, 0.05, 0.05];
    expect(topKCorrect(v, [2, 1, 2], 3, 1)).toBe(0);
    // row 1: 0.4 is 2nd (hit); row 2: 0.3 at index 1 loses the tie to index 0 → 3rd; row 3: 0.05 at index 2 → 3rd
    expect(topKCorrect(v, [2, 1, 2], 3, 2)).toBe(1);
    expect(topKCorrect(v, [2, 1, 2], 3, 3)).toBe(3);
  });

  it('topKCorrect (every class compared, no early exit) counts as the early-exit version did, ties included', () => {
    // The version before the constant-work loop: it stopped comparing once k values were above the label's.
    const earlyExit = (values: number[], labels: number[], classes: number, k: number) => {
      let hits = 0;
      for (let i = 0; i < labels.length; i++) {
        const v = values[i * classes + labels[i]];
        let above = 0;
        for (let j = 0; j < classes && above < k; j++) {
          const u = values[i * classes + j];
          if (u > v || (u === v && j < labels[i])) above++;
        }
        if (above < k) hits++;
      }
      return hits;
    };
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const classes of [1, 2, 3, 10]) {
      const n = 200;
      // Values from a few levels, so rows have ties.
      const values = Array.from({ length: n * classes }, () => Math.floor(rand() * 4) / 4);
      const labels = Array.from({ length: n }, () => Math.floor(rand() * classes));
      for (let k = 1; k <= classes; k++) expect({ classes, k, hits: topKCorrect(values, labels, classes, k) }).toEqual({ classes, k, hits: earlyExit(values, labels, classes, k) });
      expect(topKCorrect(values, labels, classes, classes)).toBe(n);
    }
  });

  it('micro precision/recall/F1 equal accuracy for single-label classes; per-class carries names', () => {
    const m = metricsFromConfusion(
      [
        [3, 1],
        [2, 4],
      ],
      ['cat', 'dog'],
    );
    expect(m.micro).toEqual({ precision: 0.7, recall: 0.7, f1: 0.7 });
    expect(m.perClass.map((c) => c.name)).toEqual(['cat', 'dog']);
  });

  it('RegressionAccumulator: MSE, MAE and R² over batches', () => {
    const acc = new RegressionAccumulator();
    acc.add([1, 2], [1, 3], 2);
    acc.add([5], [4], 1);
    const r = acc.result();
    expect(r.mse).toBeCloseTo(2 / 3, 12);
    expect(r.mae).toBeCloseTo(2 / 3, 12);
    // targets 1,3,4: mean 8/3, SS_tot = 14/3; SS_res = 2
    expect(r.r2).toBeCloseTo(1 - 2 / (14 / 3), 12);
    expect(r.count).toBe(3);
  });
});
