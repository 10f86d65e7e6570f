import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../models';
import { batchNormTrain, fusedBatchNormAvailable } from './batch_norm_train';
import { compare, initBackends, MODES, onBackend, rand, relDiff, setMode } from './test_util';

jest.setTimeout(120_000);
beforeAll(() => initBackends());

/** tfjs-layers' own training-mode batch norm (moments + batchNorm), differentiated by autodiff. */
function reference(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number) {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return { y: tf.batchNorm(x, mean, variance, beta, gamma, eps), mean, variance };
}

describe.each(MODES)('fused batch norm in training on wasm (%s)', (mode) => {
  beforeEach(() => setMode(mode));

  test.each([
    [[4, 6, 6, 16]],
    [[2, 5, 5, 3]],
    [[8, 10]],
  ])('y, mean, variance and the gradients of x, gamma, beta match tfjs on cpu, shape %j', async (shape) => {
    const c = shape[shape.length - 1];
    const run = (fused: boolean) => () => {
      // Off-centre inputs with a spread per channel, so the statistics matter.
      const x = tf.add(tf.mul(rand(shape, 11), 3), 0.5);
      const gamma = tf.add(rand([c], 12), 1.5);
      const beta = rand([c], 13);
      const dyW = rand(shape, 14);
      const f = fused && fusedBatchNormAvailable(x) ? batchNormTrain : reference;
      const fwd = f(x, gamma, beta, 1e-3);
      const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const o = f(a, g, b, 1e-3);
        if (f === batchNormTrain) tf.dispose([o.mean, o.variance]);
        return tf.sum(tf.mul(o.y, dyW));
      })([x, gamma, beta]);
      const out = [fwd.y, fwd.mean, fwd.variance, ...grads];
      return out;
    };
    const cpu = await onBackend('cpu', run(false));
    const wasm = await onBackend('wasm', run(true));
    const names = ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'];
    cpu.forEach((expected, i) => expect([names[i], relDiff(wasm[i], expected)]).toEqual([names[i], expect.any(Number)]));
    for (let i = 0; i < cpu.length; i++) expect(relDiff(wasm[i], cpu[i])).toBeLessThan(2e-5);
    await tf.setBackend('wasm');
    expect(fusedBatchNormAvailable(tf.zeros([2, 3]))).toBe(mode === 'native');
  });

  test('a ResNet block trains the same on wasm as tfjs-layers on cpu: gradients and moving statistics', async () => {
    const spec = { name: 'resnet' as const, params: { depth: 20 }, inputShape: [8, 8, 3] as [number, number, number], numClasses: 4, seed: 3 };
    const step = () => {
      const model = buildModel(spec);
      const x = rand([4, 8, 8, 3], 21);
      const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4);
      const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
      const bn = model.layers.filter((l) => l.getClassName() === 'BatchNormalization');
      const moving = bn.flatMap((l) => l.getWeights().slice(2)).map((w) => w.clone());
      const names = Object.keys(grads).sort();
      const out = [...names.map((n) => grads[n]), ...moving];
      model.dispose();
      return out;
    };
    const diff = await compare(step);
    expect(diff).toBeLessThan(5e-4);
  });

  test('BatchNormalization layers of zoo models take the fused kernels in training (native) and not in inference', async () => {
    await tf.setBackend('wasm');
    const model = buildModel({ name: 'resnet', params: { depth: 20 }, inputShape: [8, 8, 3], numClasses: 4, seed: 3 });
    const x = rand([2, 8, 8, 3], 5);
    const kernelsOf = async (training: boolean) => (await tf.profile(() => model.apply(x, { training }) as tf.Tensor)).kernels.map((k) => k.name);
    const train = await kernelsOf(true);
    const infer = await kernelsOf(false);
    expect(train.filter((k) => k === 'TrainyardBatchNormTrain').length).toBe(mode === 'native' ? 21 : 0);
    expect(infer).not.toContain('TrainyardBatchNormTrain');
    expect(model.layers.find((l) => l.getClassName() === 'BatchNormalization')!.getConfig()).toMatchObject({ axis: -1, momentum: 0.99 });
    tf.dispose(x);
    model.dispose();
  });
});
