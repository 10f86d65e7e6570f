import { ErrorCode, ExperimentSpec } from '@trainyard/common';
import { checkCompatible, modelInputsOf } from './evaluation.service';

const spec = (map: Array<{ op: string }>) =>
  ({ imageShape: [28, 28, 1], model: { name: 'lenet5', numClasses: 10 }, pipeline: { map } }) as unknown as ExperimentSpec;

const error = (fn: () => void) => {
  try {
    fn();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected an error');
};

describe('checkCompatible', () => {
  const resizing = modelInputsOf(spec([{ op: 'Resize' }, { op: 'Rescale' }]));
  const fixed = modelInputsOf(spec([{ op: 'Rescale' }]));

  it('accepts a dataset of any size when the pipeline resizes, and fewer classes than the model outputs', () => {
    expect(() => checkCompatible(resizing, { imageShape: [64, 48, 1], numClasses: 10 })).not.toThrow();
    expect(() => checkCompatible(fixed, { imageShape: [28, 28, 1], numClasses: 4 })).not.toThrow();
  });

  it.each([
    [resizing, { imageShape: [32, 32, 3], numClasses: 10 }, /3 channel\(s\), the checkpoint's model takes 1/],
    [fixed, { imageShape: [32, 32, 1], numClasses: 10 }, /32x32, the checkpoint's model takes 28x28 \(its pipeline has no Resize\)/],
    [resizing, { imageShape: [28, 28, 1], numClasses: 100 }, /100 classes, the checkpoint's model outputs 10/],
  ])('names the mismatch with BAD_USER_INPUT (%#)', (model, dataset, message) => {
    const e = error(() => checkCompatible(model, dataset));
    expect(e.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(e.message).toMatch(message);
  });
});
