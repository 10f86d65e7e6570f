import { bestTrial, planTrials } from './sweep-plan';

const codeAndMessage = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return `${(e as { code: string }).code}: ${(e as Error).message}`;
  }
  throw new Error('expected an error');
};

describe('planTrials', () => {
  it('grid: every combination, last dimension fastest', () => {
    expect(planTrials({ learningRate: [0.1, 0.01], batchSize: [16, 32] }, 'GRID', 4)).toEqual([
      { learningRate: 0.1, batchSize: 16 },
      { learningRate: 0.1, batchSize: 32 },
      { learningRate: 0.01, batchSize: 16 },
      { learningRate: 0.01, batchSize: 32 },
    ]);
  });

  it('grid larger than its budget is BAD_USER_INPUT naming both', () => {
    expect(codeAndMessage(() => planTrials({ learningRate: [0.1, 0.01, 0.001], optimizer: ['SGD', 'Adam'] }, 'GRID', 5))).toBe(
      'BAD_USER_INPUT: the grid has 6 trials (3 learningRate x 2 optimizer), more than the budget of 5',
    );
  });

  it('random: `budget` distinct combinations, the same for the same seed, others for another', () => {
    const space = { learningRate: [0.1, 0.03, 0.01, 0.003], batchSize: [16, 32, 64], weightDecay: [0, 1e-4] };
    const a = planTrials(space, 'RANDOM', 5, 7);
    expect(a).toHaveLength(5);
    expect(new Set(a.map((t) => JSON.stringify(t))).size).toBe(5);
    for (const t of a) expect(space.learningRate).toContain(t.learningRate);
    expect(planTrials(space, 'RANDOM', 5, 7)).toEqual(a);
    expect(planTrials(space, 'RANDOM', 5, 8)).not.toEqual(a);
    // Never more trials than combinations.
    expect(planTrials({ optimizer: ['SGD', 'Adam'] }, 'RANDOM', 10)).toHaveLength(2);
  });

  it('rejects an empty space, an empty list and a bad budget', () => {
    expect(codeAndMessage(() => planTrials({}, 'GRID', 2))).toMatch(/search space is empty/);
    expect(codeAndMessage(() => planTrials({ batchSize: [] }, 'GRID', 2))).toMatch(/space.batchSize must list at least one value/);
    expect(codeAndMessage(() => planTrials({ batchSize: [8] }, 'GRID', 0))).toMatch(/budget must be an integer from 1 to 100/);
  });
});

describe('bestTrial', () => {
  const trials = [
    { id: 'a', metrics: { accuracy: 0.8, loss: 0.5 } },
    { id: 'b', metrics: { accuracy: 0.9, loss: 0.6 } },
    { id: 'c', metrics: null },
  ];
  it('maximizes accuracy, minimizes loss, skips unfinished trials', () => {
    expect(bestTrial(trials, 'accuracy', true)?.id).toBe('b');
    expect(bestTrial(trials, 'loss', false)?.id).toBe('a');
    expect(bestTrial([trials[2]], 'accuracy', true)).toBeUndefined();
  });
});
