import * as tf from '@tensorflow/tfjs';
import { compare, initBackends, MODES, onBackend, rand, setMode } from './test_util';
import { nativeKernels } from './native';

jest.setTimeout(60_000);
beforeAll(() => initBackends());

const bits = (a: Float32Array) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

describe.each(MODES)('ReLU gradient on wasm (%s)', (mode) => {
  beforeEach(() => setMode(mode));

  test('equals tfjs formula mul(dy, cast(step(x))) bit for bit, incl. 0, -0, NaN, +-Infinity', async () => {
    const xs = [0, -0, 1, -1, NaN, Infinity, -Infinity, 1e-30, -1e-30, 3.5, -2, 7];
    const dys = [-1.5, 2, -3, 4, -0.5, -6, 7, -8, 9, -10, Infinity, NaN];
    const [viaGrad, formula] = await onBackend('wasm', () => {
      const x = tf.tensor1d(xs);
      const dy = tf.tensor1d(dys);
      const g = tf.grad((a: tf.Tensor) => tf.relu(a).mul(dy).sum())(x);
      return [g, tf.mul(dy, tf.cast(tf.step(x), 'float32'))];
    });
    expect(bits(viaGrad)).toEqual(bits(formula));
    const [cpu] = await onBackend('cpu', () => {
      const x = tf.tensor1d(xs);
      const dy = tf.tensor1d(dys);
      return tf.grad((a: tf.Tensor) => tf.relu(a).mul(dy).sum())(x);
    });
    expect(bits(viaGrad)).toEqual(bits(cpu));
  });

  test('conv + relu gradients match cpu', async () => {
    const diff = await compare(() => {
      const x = rand([2, 8, 8, 3], 41);
      const f = rand([3, 3, 3, 5], 42);
      return tf.grads((a: tf.Tensor, w: tf.Tensor) => tf.relu(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid')).mul(rand([2, 6, 6, 5], 43)).sum())([x, f]);
    });
    expect(diff).toBeLessThan(1e-4);
  });

  test('second-order gradient through ReLU (zero) still works', async () => {
    const [g2] = await onBackend('wasm', () => {
      const x = tf.tensor1d([-1, 2, 3]);
      return tf.grad((a: tf.Tensor) => tf.grad((b: tf.Tensor) => tf.relu(b).square().sum())(a).sum())(x);
    });
    expect(Array.from(g2)).toEqual([0, 2, 2]);
  });
});

test('the fused kernel is in use when the addon has it', async () => {
  setMode('native');
  if (!nativeKernels()?.reluGrad) return;
  await tf.setBackend('wasm');
  const x = tf.tensor1d([1, -1]);
  const info = await tf.profile(() => tf.grad((a: tf.Tensor) => tf.relu(a).sum())(x));
  tf.dispose([x, info.result as tf.Tensor]);
  const names = info.kernels.map((k) => k.name);
  expect(names).toContain('TrainyardReluGrad');
  expect(names).not.toContain('Step');
  await tf.setBackend('cpu');
});
