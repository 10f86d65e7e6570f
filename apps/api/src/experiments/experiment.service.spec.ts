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
    expect(spec.loss).toEqual({ name: 'SoftmaxCrossEntropyWithLogits', sparse: true, labelSmoothing: 0, reduction: 'mean' });
    expect(spec.model).toEqual({ name: 'lenet5', numClasses: 10, params: {} });
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

describe('ExperimentService.buildSpec with the registries', () => {
  it('accepts resnet params and a cosine schedule; stores defaults', () => {
    const spec = service.buildSpec(
      input({ model: { name: 'resnet', params: { depth: 32 } }, schedule: { name: 'cosine', warmupSteps: 100 }, pipeline: { map: [{ op: 'Rescale' as never, rescale: 1 / 255, shift: 0 }] } }),
      10,
      50000,
      [32, 32, 3],
    );
    expect(spec.model).toEqual({ name: 'resnet', numClasses: 10, params: { depth: 32 } });
    expect(spec.schedule).toEqual({ name: 'cosine', warmupSteps: 100, minLearningRate: 0 });
  });

  it('rejects MSE on class labels without one-hot', () => {
    const e = codeOf(() => service.buildSpec(input({ loss: { name: 'MSE' } }), 10, 60000, [28, 28, 1]));
    expect(e.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(e.message).toMatch(/loss: MSE on class labels needs oneHot: true/);
  });

  it('rejects a custom topology with a disallowed layer, naming it, from JSON text', () => {
    const topology = JSON.stringify({
      class_name: 'Model',
      config: {
        name: 'm',
        layers: [
          { class_name: 'InputLayer', name: 'in', config: { name: 'in', batch_input_shape: [null, 32, 32, 1] }, inbound_nodes: [] },
          { class_name: 'Lambda', name: 'evil', config: { name: 'evil' }, inbound_nodes: [[['in', 0, 0, {}]]] },
        ],
        input_layers: [['in', 0, 0]],
        output_layers: [['evil', 0, 0]],
      },
    });
    const e = codeOf(() => service.buildSpec(input({ model: { name: 'custom', params: { topology } } }), 10, 60000, [28, 28, 1]));
    expect(e.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(e.message).toMatch(/model.params.topology: layer "evil": layer class "Lambda" is not allowed/);
  });

  it('rejects a custom topology whose output does not match the class count', () => {
    const layers = [
      { class_name: 'InputLayer', name: 'in', config: { name: 'in', batch_input_shape: [null, 32, 32, 1] }, inbound_nodes: [] },
      { class_name: 'Flatten', name: 'f', config: { name: 'f' }, inbound_nodes: [[['in', 0, 0, {}]]] },
      { class_name: 'Dense', name: 'out', config: { name: 'out', units: 3 }, inbound_nodes: [[['f', 0, 0, {}]]] },
    ];
    const topology = { class_name: 'Model', config: { name: 'm', layers, input_layers: [['in', 0, 0]], output_layers: [['out', 0, 0]] } };
    const e = codeOf(() => service.buildSpec(input({ model: { name: 'custom', params: { topology } } }), 10, 60000, [28, 28, 1]));
    expect(e.message).toMatch(/layer "out": output shape \[3\] must be \[10\]/);
  });

  it('rejects a schedule with negative steps and an unknown optimizer setting', () => {
    expect(codeOf(() => service.buildSpec(input({ schedule: { name: 'step', stepSize: -10 } }), 10, 60000, [28, 28, 1])).message).toMatch(/schedule.stepSize/);
    expect(codeOf(() => service.buildSpec(input({ optimizer: { name: 'SGD', learningRate: 0.1, beta1: 0.9 } }), 10, 60000, [28, 28, 1])).message).toMatch(
      /optimizer.beta1: beta1 is not a setting of SGD/,
    );
  });
});

describe("ExperimentService.buildSpec with the team's parameter limit", () => {
  it('applies the limit to zoo models and custom topologies, naming the limit and the largest layer', () => {
    // LeNet-5 on 32x32x1 has 61,706 parameters: under the default, over a team limit of 50,000.
    expect(service.buildSpec(input(), 10, 60000, [28, 28, 1]).model.name).toBe('lenet5');
    const zoo = codeOf(() => service.buildSpec(input(), 10, 60000, [28, 28, 1], { maxParams: 50_000 }));
    expect(zoo.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(zoo.message).toBe(
      'model: model lenet5 has 61706 parameters, over this team\'s limit of 50000 (largest layer "fc1": 48120); choose a smaller model, or an owner or admin can raise the limit with setModelParameterLimit',
    );
    // A wide MLP chosen through model params is held to the same limit.
    const mlp = codeOf(() => service.buildSpec(input({ model: { name: 'mlp', params: { hidden: [4096, 4096] } } }), 10, 60000, [28, 28, 1], { maxParams: 1_000_000 }));
    expect(mlp.message).toMatch(/^model: model mlp has \d+ parameters, over this team's limit of 1000000/);
    // A team that raised its limit above the default can use a model over the default.
    const big = { name: 'mlp', params: { hidden: [8192, 8192, 8192] } };
    expect(codeOf(() => service.buildSpec(input({ model: big }), 10, 60000, [28, 28, 1])).message).toMatch(/over this team's limit of 50000000/);
    expect(service.buildSpec(input({ model: big }), 10, 60000, [28, 28, 1], { maxParams: 200_000_000 }).model.name).toBe('mlp');
  });
});
