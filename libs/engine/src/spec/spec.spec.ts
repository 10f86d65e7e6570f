import { analyzeTopology, learningRateAt, parseTopologyText, scheduleSpecSchema, summarizeModel, TopologyError, type KerasTopology } from '.';
import { MODELS } from './models';

const lenetCtx = { inputShape: [32, 32, 1] as [number, number, number], numClasses: 10 };
const lenet = (): KerasTopology => JSON.parse(JSON.stringify(MODELS.lenet5.topology({}, lenetCtx)));
const layersOf = (t: KerasTopology) => (t.config as { layers: Array<{ class_name: string; config: Record<string, unknown>; name?: string }> }).layers;
const rejects = (t: unknown, message: RegExp, opts = { inputShape: [32, 32, 1], numClasses: 10 }) => {
  let err: unknown;
  try {
    analyzeTopology(t, opts);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TopologyError);
  expect((err as Error).message).toMatch(message);
  return err as TopologyError;
};

describe('spec imports no TensorFlow.js', () => {
  it('loading @trainyard/engine/spec pulls in zod only', () => {
    const loaded = Object.keys(require.cache);
    expect(loaded.some((k) => k.includes('@tensorflow'))).toBe(false);
  });
});

describe('analyzeTopology', () => {
  it('summarizes LeNet-5: shapes and 61,706 parameters', () => {
    const s = analyzeTopology(lenet(), { inputShape: [32, 32, 1], numClasses: 10 });
    expect(s.layers.map((l) => [l.name, l.outputShape, l.params])).toEqual([
      ['image', [32, 32, 1], 0],
      ['conv1', [28, 28, 6], 156],
      ['pool1', [14, 14, 6], 0],
      ['conv2', [10, 10, 16], 2416],
      ['pool2', [5, 5, 16], 0],
      ['flatten', [400], 0],
      ['fc1', [120], 48120],
      ['fc2', [84], 10164],
      ['fc3', [10], 850],
    ]);
    expect(s.totalParams).toBe(61706);
  });

  it('counts batch-norm moving statistics as non-trainable, and follows resnet shortcuts (Add)', () => {
    const s = summarizeModel({ name: 'resnet', params: { depth: 20 } }, { inputShape: [32, 32, 3], numClasses: 10 });
    expect(s.outputShape).toEqual([10]);
    expect(s.totalParams - s.trainableParams).toBe(2 * s.layers.filter((l) => l.className === 'BatchNormalization').reduce((a, l) => a + l.outputShape[2], 0));
    expect(s.layers.find((l) => l.name === 's2b1_add')!.inbound).toEqual(['s2b1_conv2_bn', 's2b1_proj_bn']);
    expect(s.layers.find((l) => l.name === 's3b3_add')!.outputShape).toEqual([8, 8, 64]);
  });

  it('accepts a Sequential topology (the Keras / tfjs format of model.toJSON())', () => {
    const seq = {
      class_name: 'Sequential',
      config: {
        name: 'seq',
        layers: [
          { class_name: 'Flatten', config: { name: 'f', batch_input_shape: [null, 4, 4, 1] } },
          { class_name: 'Dense', config: { name: 'd', units: 3, activation: 'linear' } },
        ],
      },
    };
    expect(analyzeTopology(seq, { inputShape: [4, 4, 1], numClasses: 3 }).totalParams).toBe(16 * 3 + 3);
  });

  it('rejects a Lambda layer, naming it', () => {
    const t = lenet();
    layersOf(t)[3].class_name = 'Lambda';
    const e = rejects(t, /layer "conv2": layer class "Lambda" is not allowed/);
    expect(e.layer).toBe('conv2');
  });

  it('rejects custom objects inside a layer config', () => {
    const t = lenet();
    layersOf(t)[1].config.kernel_initializer = { class_name: 'MyInit', config: {} };
    rejects(t, /layer "conv1": custom object "MyInit" is not allowed/);
  });

  it('rejects an output that does not match the class count', () => {
    rejects(lenet(), /layer "fc3": output shape \[10\] must be \[7\]/, { inputShape: [32, 32, 1], numClasses: 7 });
  });

  it('rejects an input that does not match the dataset', () => {
    rejects(lenet(), /layer "image": input shape \[32,32,1\] does not match the dataset's samples \[28,28,1\]/, { inputShape: [28, 28, 1], numClasses: 10 });
  });

  it('rejects a softmax output (the loss takes logits)', () => {
    const t = lenet();
    layersOf(t)[8].config.activation = 'softmax';
    rejects(t, /layer "fc3": the output layer must be a Dense layer with linear activation/);
  });

  it('rejects too many parameters, naming the largest layer', () => {
    rejects(lenet(), /61706 parameters exceed the limit of 50000 \(largest layer: 48120\)/, { inputShape: [32, 32, 1], numClasses: 10, maxParams: 50_000 } as never);
  });

  it('rejects an unknown inbound layer and a shape that does not fit', () => {
    const t = lenet();
    (layersOf(t)[3] as { inbound_nodes?: unknown }).inbound_nodes = [[['nope', 0, 0, {}]]];
    rejects(t, /layer "conv2": input "nope" is not a layer defined before this one/);
    const small = MODELS.lenet5.topology({}, { inputShape: [8, 8, 1], numClasses: 10 });
    rejects(small, /layer "conv2": a 5x5 window does not fit an input of side 2/, { inputShape: [8, 8, 1], numClasses: 10 });
  });

  it('rejects a topology nested 10,000 deep, fast, before parsing', () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const t0 = performance.now();
    expect(() => parseTopologyText(deep)).toThrow(/nested deeper than 40 levels/);
    expect(performance.now() - t0).toBeLessThan(1000); // stops at level 41; generous for a loaded machine
    let v: unknown = 1;
    for (let i = 0; i < 10_000; i++) v = [v];
    expect(() => analyzeTopology({ class_name: 'Model', config: { layers: [v] } })).toThrow(/nested deeper than 40 levels/);
  });

  it('rejects 50 MB of JSON without parsing it', () => {
    const big = '{"class_name":"Model","config":{"layers":[' + '"x",'.repeat(12_500_000) + '"x"]}}';
    const t0 = performance.now();
    expect(() => parseTopologyText(big)).toThrow(/larger than 1048576 bytes/);
    expect(performance.now() - t0).toBeLessThan(1000); // size check before any scan or parse
  });
});

describe('model params', () => {
  it('cnn defaults are the original cnn (2,168,362 parameters at 32x32x3)', () => {
    expect(summarizeModel({ name: 'cnn' }, { inputShape: [32, 32, 3], numClasses: 10 }).totalParams).toBe(2168362);
  });
  it('mlp hidden sizes set the layers', () => {
    const s = summarizeModel({ name: 'mlp', params: { hidden: [64, 32], dropout: 0.2 } }, { inputShape: [28, 28, 1], numClasses: 10 });
    expect(s.layers.filter((l) => l.className === 'Dense').map((l) => l.outputShape[0])).toEqual([64, 32, 10]);
    expect(s.layers.filter((l) => l.className === 'Dropout')).toHaveLength(2);
    expect(s.totalParams).toBe(784 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10);
  });
});

describe('learningRateAt', () => {
  const sched = (s: unknown) => scheduleSpecSchema.parse(s);
  it('constant, with a linear warm-up', () => {
    const s = sched({ name: 'constant', warmupSteps: 4 });
    [0.025, 0.05, 0.075, 0.1, 0.1, 0.1].forEach((lr, i) => expect(learningRateAt(s, 0.1, [1, 2, 3, 4, 5, 100][i], 100)).toBeCloseTo(lr, 12));
  });
  it('step: gamma every stepSize steps after warm-up', () => {
    const s = sched({ name: 'step', stepSize: 10, gamma: 0.5 });
    expect([1, 10, 11, 20, 21].map((t) => learningRateAt(s, 0.1, t, 100))).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
  });
  it('exponential: gamma^(t/decaySteps)', () => {
    const s = sched({ name: 'exponential', decaySteps: 10, gamma: 0.5 });
    expect(learningRateAt(s, 0.1, 21, 100)).toBeCloseTo(0.025, 12);
    expect(learningRateAt(s, 0.1, 6, 100)).toBeCloseTo(0.1 * Math.pow(0.5, 0.5), 12);
  });
  it('cosine: from base to minLearningRate over the rest of the run', () => {
    const s = sched({ name: 'cosine', warmupSteps: 10, minLearningRate: 0.001 });
    expect(learningRateAt(s, 0.1, 5, 110)).toBeCloseTo(0.05, 12);
    expect(learningRateAt(s, 0.1, 11, 110)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(s, 0.1, 61, 110)).toBeCloseTo(0.001 + 0.099 * 0.5, 12);
    expect(learningRateAt(s, 0.1, 111, 110)).toBeCloseTo(0.001, 12);
  });
  it('rejects negative steps and an unknown schedule', () => {
    expect(scheduleSpecSchema.safeParse({ name: 'step', stepSize: -1 }).success).toBe(false);
    expect(scheduleSpecSchema.safeParse({ name: 'constant', warmupSteps: -3 }).success).toBe(false);
    expect(scheduleSpecSchema.safeParse({ name: 'poly' }).success).toBe(false);
  });
});
