import { ErrorCode } from '@trainyard/common';
import { SubmitExperimentInput } from './experiment.inputs';
import { ExperimentService, WALKTHROUGH_MAP } from './experiment.service';

// buildSpec is pure: no repository or queue is touched.
const service = new ExperimentService(undefined as never, undefined as never, undefined as never, undefined as never);

const input = (over: Partial<SubmitExperimentInput> = {}): SubmitExperimentInput => ({
  name: 'lenet',
  datasetId: '00000000-0000-0000-0000-000000000000',
  model: { name: 'lenet5' },
  optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
  epochs: 1,
  ...over,
});

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return { code: (e as { code?: string }).code, message: (e as Error).message };
  }
  throw new Error('expected an error');
};

describe('ExperimentService.buildSpec', () => {
  it("fills in the walkthrough's pipeline, loss and checkpoint defaults", () => {
    const spec = service.buildSpec(input(), 10, 60000, [28, 28, 1]);
    expect(spec.pipeline.map).toEqual(WALKTHROUGH_MAP.map((m) => (m.op === 'Resize' ? { ...m, interpolation: 'bilinear' } : m)));
    expect(spec.pipeline.batch).toEqual({ size: 32, dropRemainder: true });
    expect(spec.pipeline.shuffle).toEqual({ bufferSize: 10000 });
    expect(spec.loss).toEqual({ name: 'SoftmaxCrossEntropyWithLogits', sparse: true });
    expect(spec.model).toEqual({ name: 'lenet5', numClasses: 10 });
    expect(spec.imageShape).toEqual([28, 28, 1]);
    expect(spec.perPrintTimes).toBe(10);
  });

  it('rejects a batch larger than the train split, naming both sizes', () => {
    const e = codeOf(() => service.buildSpec(input({ pipeline: { batchSize: 101 } }), 10, 100, [28, 28, 1]));
    expect(e.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(e.message).toMatch(/batchSize 101 is larger than the dataset's train split \(100 samples\)/);
  });

  it('rejects fewer model classes than the dataset has', () => {
    const e = codeOf(() => service.buildSpec(input({ model: { name: 'lenet5', numClasses: 5 } }), 10, 100, [28, 28, 1]));
    expect(e.message).toMatch(/numClasses 5 is smaller than the dataset's 10 classes/);
  });

  it('rejects a malformed map op through the data lib', () => {
    const e = codeOf(() =>
      service.buildSpec(input({ pipeline: { map: [{ op: 'Rescale' as never, rescale: Number.NaN, shift: 0 }] } }), 10, 100, [28, 28, 1]),
    );
    expect(e.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(e.message).toMatch(/rescale/);
  });
});
