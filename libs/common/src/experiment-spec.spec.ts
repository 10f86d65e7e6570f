import { ErrorCode } from './errors';
import { parseExperimentSpec } from './experiment-spec';

const valid = {
  model: { name: 'lenet5', numClasses: 10 },
  imageShape: [28, 28, 1],
  pipeline: {},
  loss: { name: 'SoftmaxCrossEntropyWithLogits', sparse: true },
  optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
  epochs: 1,
  perPrintTimes: 10,
  seed: 1,
  checkpoint: { saveCheckpointSteps: 100, keepCheckpointMax: 3 },
};

describe('parseExperimentSpec', () => {
  it('accepts the walkthrough spec', () => {
    expect(parseExperimentSpec(valid).optimizer).toEqual({ name: 'Momentum', learningRate: 0.01, momentum: 0.9 });
  });

  it.each([
    [{ ...valid, optimizer: { name: 'Momentum', learningRate: -0.1 } }, /optimizer.learningRate: learningRate must be > 0/],
    [{ ...valid, optimizer: { name: 'Nadam', learningRate: 0.1 } }, /optimizer.name: unknown optimizer; expected one of SGD, Momentum/],
    [{ ...valid, model: { name: 'resnet9000', numClasses: 10 } }, /model.name: unknown model; expected one of lenet5, mlp, cnn, resnet, alexnet, custom/],
    [{ ...valid, model: { name: 'resnet', numClasses: 10, params: { depth: 19 } } }, /model.params.depth: depth must be 20, 32 or 56/],
    [{ ...valid, schedule: { name: 'step', stepSize: -5 } }, /schedule.stepSize: stepSize must be >= 0/],
    [{ ...valid, schedule: { name: 'linear' } }, /schedule.name: unknown schedule; expected one of constant, step, exponential, cosine/],
    [{ ...valid, loss: { name: 'Focal' } }, /loss.name: unknown loss; expected one of SoftmaxCrossEntropyWithLogits/],
    [{ ...valid, earlyStopping: { monitor: 'val_f2' } }, /earlyStopping.monitor: monitor must be one of val_loss/],
    [{ ...valid, checkpoint: { saveCheckpointSteps: 0, keepCheckpointMax: 1 } }, /checkpoint.saveCheckpointSteps/],
  ])('rejects %#', (spec, message) => {
    try {
      parseExperimentSpec(spec);
      throw new Error('expected a rejection');
    } catch (e) {
      expect((e as { code: string }).code).toBe(ErrorCode.BAD_USER_INPUT);
      expect((e as Error).message).toMatch(message);
    }
  });
});
