import * as tf from '@tensorflow/tfjs';
import { ErrorCode } from '@trainyard/common';
import { initBackend } from './backend';
import { buildModel, validateModelSpec } from './models';

beforeAll(() => initBackend('cpu'));

describe('buildModel', () => {
  it('builds the walkthrough LeNet-5: layer shapes and 61,706 parameters', () => {
    const model = buildModel({ name: 'lenet5', inputShape: [32, 32, 1], numClasses: 10 });
    const shapes = model.layers.map((l) => [l.name, (l.outputShape as number[]).slice(1)]);
    expect(shapes).toEqual([
      ['image', [32, 32, 1]],
      ['conv1', [28, 28, 6]],
      ['pool1', [14, 14, 6]],
      ['conv2', [10, 10, 16]],
      ['pool2', [5, 5, 16]],
      ['flatten', [400]],
      ['fc1', [120]],
      ['fc2', [84]],
      ['fc3', [10]],
    ]);
    // conv1 5*5*1*6+6, conv2 5*5*6*16+16, fc 400*120+120, 120*84+84, 84*10+10
    expect(model.countParams()).toBe(156 + 2416 + 48120 + 10164 + 850);
    expect(model.countParams()).toBe(61706);
    const activations = model.layers.map((l) => (l.getConfig().activation as string | undefined) ?? null);
    expect(activations).toEqual([null, 'relu', null, 'relu', null, null, 'relu', 'relu', 'linear']);
    model.dispose();
  });

  it('builds the cnn for 32x32x3', () => {
    const model = buildModel({ name: 'cnn', inputShape: [32, 32, 3], numClasses: 10 });
    expect((model.outputs[0].shape as number[]).slice(1)).toEqual([10]);
    // 896 + 9248 + 18496 + 36928 + (8*8*64*512+512) + (512*10+10)
    expect(model.countParams()).toBe(2168362);
    model.dispose();
  });

  it('channelsFirst input permutes to NHWC: same weights, same logits as channelsLast on HWC data', () => {
    const nhwc = buildModel({ name: 'lenet5', inputShape: [32, 32, 1], numClasses: 10, seed: 1 });
    const nchw = buildModel({ name: 'lenet5', inputShape: [32, 32, 1], numClasses: 10, dataFormat: 'channelsFirst', seed: 2 });
    expect(nchw.inputs[0].shape).toEqual([null, 1, 32, 32]);
    nchw.setWeights(nhwc.getWeights());
    const x = tf.randomUniform([2, 32, 32, 1], 0, 1, 'float32', 7);
    const a = nhwc.predict(x) as tf.Tensor;
    const b = nchw.predict(x.transpose([0, 3, 1, 2])) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()).map((v) => expect.closeTo(v, 5)));
    tf.dispose([x, a, b]);
  });

  it('seeded builds are reproducible', () => {
    const spec = { name: 'lenet5' as const, inputShape: [32, 32, 1] as [number, number, number], numClasses: 10, seed: 42 };
    const a = buildModel(spec).getWeights()[0].dataSync();
    const b = buildModel(spec).getWeights()[0].dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

describe('validateModelSpec', () => {
  const ok = { name: 'lenet5', inputShape: [32, 32, 1], numClasses: 10 };
  it.each([
    [{ ...ok, name: 'x' }, 'unknown model "x"; expected one of lenet5, mlp, cnn, resnet, alexnet, custom'],
    [{ ...ok, inputShape: [32, 32] }, 'inputShape must be [height, width, channels] of positive integers, got [32,32]'],
    [{ ...ok, numClasses: 0 }, 'numClasses must be a positive integer, got 0'],
    [{ ...ok, inputShape: [8, 8, 1] }, 'model lenet5: layer "conv2": a 5x5 window does not fit an input of side 2'],
    [{ ...ok, name: 'resnet', params: { depth: 18 } }, 'model.params.depth: depth must be 20, 32 or 56'],
    [{ ...ok, name: 'mlp', params: { hidden: [] } }, 'model.params.hidden: hidden needs at least one layer'],
    [{ ...ok, name: 'cnn', params: { blocks: [{ filters: 8, size: 3 }] } }, "model.params.blocks.0: Unrecognized key(s) in object: 'size'"],
    [{ ...ok, dataFormat: 'NCHW' }, 'dataFormat must be channelsLast or channelsFirst, got "NCHW"'],
  ])('rejects %j', (spec, message) => {
    expect(() => validateModelSpec(spec)).toThrow(message);
    try {
      validateModelSpec(spec);
    } catch (e) {
      expect((e as { code: ErrorCode }).code).toBe(ErrorCode.BAD_USER_INPUT);
    }
  });

  it('accepts the smallest image LeNet-5 can take', () => {
    const m = buildModel({ name: 'lenet5', inputShape: [16, 16, 1], numClasses: 3 });
    expect((m.layers.find((l) => l.name === 'pool2')!.outputShape as number[]).slice(1)).toEqual([1, 1, 16]);
  });
});
