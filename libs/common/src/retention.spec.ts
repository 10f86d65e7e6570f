import { checkpointsToRelease, retentionMetric } from './retention';

const c = (step: number, deployed = false) => ({ id: `c${step}`, step, deployed });

describe('checkpointsToRelease', () => {
  const losses = [
    { step: 10, loss: 2.0 },
    { step: 20, loss: 0.4 }, // the best checkpoint is the one at 20
    { step: 30, loss: 0.9 },
    { step: 40, loss: 0.7 },
    { step: 50, loss: 0.6 },
  ];

  it('keeps the newest N and the best (lowest loss at its step), releasing the rest oldest first', () => {
    expect(checkpointsToRelease([c(50), c(10), c(20), c(30), c(40)], losses, 2)).toEqual(['c10', 'c30']);
  });

  it('never releases a deployed checkpoint', () => {
    expect(checkpointsToRelease([c(10, true), c(20), c(30), c(40), c(50)], losses, 1)).toEqual(['c30', 'c40']);
  });

  it('uses the last loss at or before a checkpoint step, ignoring NaN', () => {
    const l = [{ step: 5, loss: 0.1 }, { step: 12, loss: Number.NaN }, { step: 25, loss: 3 }];
    // c10 and c20 both see 0.1 (step 5); the earlier one wins ties; keep newest 1 (c30).
    expect(checkpointsToRelease([c(10), c(20), c(30)], l, 1)).toEqual(['c20']);
  });

  it('keepNewest 0 keeps only the best, and rejects a negative count', () => {
    expect(checkpointsToRelease([c(10), c(20), c(30)], losses, 0)).toEqual(['c10', 'c30']);
    expect(() => checkpointsToRelease([], [], -1)).toThrow(/keepNewest must be an integer >= 0/);
  });
});

describe('best by the validation metric', () => {
  const losses = [
    { step: 10, loss: 2.0 },
    { step: 20, loss: 0.4 }, // lowest training loss at 20 ...
    { step: 30, loss: 0.9 },
    { step: 40, loss: 0.7 },
    { step: 50, loss: 0.6 },
  ];
  // ... but the best validation accuracy is at 30 (epoch ends at 10, 20, 30, 40, 50)
  const summaries = [0.5, 0.6, 0.8, 0.7, 0.75].map((acc, i) => ({ step: (i + 1) * 10, data: { meanLoss: losses[i].loss, accuracy: 0.5, val: { loss: 1 - acc, accuracy: acc } } }));

  it("keeps the checkpoint with the best value of keep-best's monitor, not the lowest training loss", () => {
    const metric = retentionMetric({ checkpoint: { keepBest: { monitor: 'val_accuracy' } } }, summaries);
    expect(metric).toMatchObject({ monitor: 'val_accuracy', higherIsBetter: true });
    expect(checkpointsToRelease([c(10), c(20), c(30), c(40), c(50)], losses, 1, metric)).toEqual(['c10', 'c20', 'c40']);
    // without the metric the training loss picks 20
    expect(checkpointsToRelease([c(10), c(20), c(30), c(40), c(50)], losses, 1)).toEqual(['c10', 'c30', 'c40']);
  });

  it('defaults to val_loss (lower is better), or EarlyStopping’s validation monitor', () => {
    expect(retentionMetric({}, summaries)).toMatchObject({ monitor: 'val_loss', higherIsBetter: false });
    expect(retentionMetric({ earlyStopping: { monitor: 'val_accuracy' } }, summaries)?.monitor).toBe('val_accuracy');
    expect(retentionMetric({ earlyStopping: { monitor: 'loss' } }, summaries)?.monitor).toBe('val_loss');
    const metric = retentionMetric(undefined, summaries)!;
    expect(checkpointsToRelease([c(10), c(20), c(30), c(40), c(50)], losses, 0, metric)).toEqual(['c10', 'c20', 'c40', 'c50']);
  });

  it('mid-epoch checkpoints are not candidates; a run without validation falls back to the training loss', () => {
    const metric = retentionMetric({}, summaries)!;
    // c25 has no epoch-end value; the best of those that have one is c30
    expect(checkpointsToRelease([c(25), c(30), c(45)], losses, 1, metric)).toEqual(['c25']);
    const noVal = summaries.map((s) => ({ ...s, data: { ...s.data, val: null } }));
    expect(retentionMetric({}, noVal)).toBeUndefined();
    expect(checkpointsToRelease([c(25), c(45)], losses, 0, retentionMetric({}, noVal))).toEqual(['c45']);
  });
});
