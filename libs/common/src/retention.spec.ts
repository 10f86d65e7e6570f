import { checkpointsToRelease } from './retention';

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
