import { accumulateConfusion, argmaxRows, emptyConfusion, metricsFromConfusion } from './metrics';

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
