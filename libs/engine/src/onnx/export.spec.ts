/** @jest-environment ./test/support/onnx-environment.js */
// One case per layer kind: each model is exported, loaded in ONNX Runtime and run on random input;
// its outputs must equal tfjs' (wasm backend, as training and serving run it) within 1e-4.
import * as tf from '@tensorflow/tfjs';
import { onnx } from 'onnx-proto';
import { initBackend } from '../backend';
import { buildModel } from '../models';
import { exportToOnnx, loadOnnxRuntime, OnnxExportError } from '.';

beforeAll(() => initBackend('wasm'));

let seed = 100;
/** Random weights everywhere (biases and batch-norm statistics included), so nothing is trivially zero or one. */
function randomizeWeights(model: tf.LayersModel): void {
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    layer.setWeights(
      ws.map((w, i) => {
        const name = layer.weights[i].originalName;
        // Variances must stay positive; everything else may be any sign.
        return name.endsWith('moving_variance') ? tf.randomUniform(w.shape, 0.2, 2, 'float32', seed++) : tf.randomNormal(w.shape, 0, 0.5, 'float32', seed++);
      }),
    );
  }
}

async function parity(model: tf.LayersModel, batch = 3, tol = 1e-4) {
  const exported = exportToOnnx(model);
  const rt = await loadOnnxRuntime(exported.bytes);
  try {
    const shape = [batch, ...(model.inputs[0].shape.slice(1) as number[])];
    const x = tf.randomNormal(shape, 0, 1, 'float32', seed++).dataSync() as Float32Array;
    const expected = tf.tidy(() => (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync());
    const got = await rt.run(x, shape);
    expect(got.length).toBe(expected.length);
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
    expect(maxDiff).toBeLessThan(tol);
    // The comparison is not vacuous: the outputs vary.
    expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(1e-3);
    return { exported, maxDiff };
  } finally {
    await rt.dispose();
  }
}

const seq = (inputShape: number[], layers: tf.layers.Layer[]) => {
  const input = tf.input({ shape: inputShape, name: 'x' });
  let y = input as tf.SymbolicTensor;
  for (const l of layers) y = l.apply(y) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: y });
  randomizeWeights(m);
  return m;
};

describe('exportToOnnx: layers', () => {
  it('Conv2D: same padding on odd sizes with strides 2 (asymmetric pads), dilation, no bias', async () => {
    const m = seq([9, 7, 3], [
      tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      tf.layers.conv2d({ filters: 5, kernelSize: [2, 3], padding: 'same', useBias: false, activation: 'tanh' }),
      tf.layers.conv2d({ filters: 3, kernelSize: 2, dilationRate: 2, padding: 'valid' }),
    ]);
    const { exported } = await parity(m);
    expect(exported.opCounts.Conv).toBe(3);
  });

  it('tfjs Sequential models export as well as functional ones', async () => {
    const m = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 3, kernelSize: 3, activation: 'relu' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 4, activation: 'softmax' }),
      ],
    });
    randomizeWeights(m);
    await parity(m);
  });

  it('MaxPooling2D and AveragePooling2D, valid and same, strides differing from the pool', async () => {
    const m = seq([11, 10, 2], [
      tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
      tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'valid' }),
      tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
      tf.layers.maxPooling2d({ poolSize: [2, 1], strides: [1, 2] }),
    ]);
    const { exported } = await parity(m);
    expect(exported.opCounts).toMatchObject({ MaxPool: 2, AveragePool: 2 });
  });

  it('BatchNormalization after a conv (NCHW), after a dense (rank 2), without scale or center', async () => {
    const m = seq([6, 6, 3], [
      tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }),
      tf.layers.batchNormalization({ epsilon: 0.01 }),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.batchNormalization({ scale: false, center: false }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 5 }),
      tf.layers.batchNormalization(),
    ]);
    const { exported } = await parity(m);
    expect(exported.opCounts.BatchNormalization).toBe(3);
  });

  it('GlobalAveragePooling2D and GlobalMaxPooling2D', async () => {
    const input = tf.input({ shape: [5, 6, 4] });
    const a = tf.layers.globalAveragePooling2d({}).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.globalMaxPooling2d({}).apply(input) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor });
    const { exported } = await parity(m);
    expect(exported.opCounts).toMatchObject({ GlobalAveragePool: 1, GlobalMaxPool: 1, Concat: 1 });
  });

  it.each(['relu', 'relu6', 'sigmoid', 'tanh', 'softmax', 'logSoftmax', 'elu', 'selu', 'softplus', 'softsign', 'hardSigmoid', 'swish', 'mish', 'gelu'])(
    'activation %s on a 4-D value (held as NCHW) and on a dense output',
    async (activation) => {
      const m = seq([4, 5, 3], [
        tf.layers.conv2d({ filters: 3, kernelSize: 2, activation: activation as 'relu' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 6, activation: activation as 'relu' }),
      ]);
      await parity(m);
    },
  );

  it('activation layers: ReLU with maxValue, LeakyReLU, ELU, Softmax over the channels, PReLU, ThresholdedReLU', async () => {
    const m = seq([5, 5, 3], [
      tf.layers.conv2d({ filters: 4, kernelSize: 2 }),
      tf.layers.reLU({ maxValue: 0.5 }),
      tf.layers.conv2d({ filters: 4, kernelSize: 1 }),
      tf.layers.leakyReLU({ alpha: 0.2 }),
      tf.layers.elu({}), // tfjs' ELU layer supports alpha 1 only
      tf.layers.prelu({}),
      tf.layers.thresholdedReLU({ theta: 0.1 }),
      tf.layers.softmax({ axis: -1 }),
    ]);
    const { exported } = await parity(m);
    expect(exported.opCounts).toMatchObject({ Clip: 1, LeakyRelu: 1, Elu: 1, PRelu: 1, ThresholdedRelu: 1, Softmax: 1 });
  });

  it('ZeroPadding2D (asymmetric) then a valid conv', async () => {
    const m = seq([5, 4, 2], [tf.layers.zeroPadding2d({ padding: [[1, 2], [0, 3]] }), tf.layers.conv2d({ filters: 2, kernelSize: 3 })]);
    await parity(m);
  });

  it('DepthwiseConv2D with a depth multiplier', async () => {
    const m = seq([7, 7, 3], [tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', strides: 2 })]);
    await parity(m);
  });

  it('a resnet-style block: conv-bn-relu-conv-bn plus the skip connection (Add), then Multiply and Average', async () => {
    const input = tf.input({ shape: [8, 8, 4] });
    let y = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
    y = tf.layers.batchNormalization().apply(y) as tf.SymbolicTensor;
    y = tf.layers.activation({ activation: 'relu' }).apply(y) as tf.SymbolicTensor;
    y = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(y) as tf.SymbolicTensor;
    y = tf.layers.batchNormalization().apply(y) as tf.SymbolicTensor;
    const sum = tf.layers.add().apply([y, input]) as tf.SymbolicTensor;
    const r = tf.layers.reLU().apply(sum) as tf.SymbolicTensor;
    const prod = tf.layers.multiply().apply([r, input]) as tf.SymbolicTensor;
    const avg = tf.layers.average().apply([prod, r, sum]) as tf.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling2d({}).apply(avg) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3 }).apply(pooled) as tf.SymbolicTensor });
    randomizeWeights(m);
    const { exported } = await parity(m);
    expect(exported.opCounts).toMatchObject({ Add: 1, Mul: 1, Mean: 1 });
    // The input is transposed to NCHW once and everything stays NCHW until the global pool.
    expect(exported.opCounts.Transpose).toBe(1);
  });

  it('Dropout is the identity; Dense on a 4-D value applies to the last axis (MatMul + Add)', async () => {
    const m = seq([3, 4, 5], [tf.layers.dropout({ rate: 0.5 }), tf.layers.dense({ units: 2, activation: 'relu' }), tf.layers.dropout({ rate: 0.3 })]);
    const { exported } = await parity(m);
    expect(exported.opCounts).toMatchObject({ MatMul: 1, Add: 1 });
  });

  it('Reshape from a dense output back into an image, then Permute; Flatten keeps tfjs (NHWC) order', async () => {
    const m = seq([4, 4, 2], [
      tf.layers.conv2d({ filters: 3, kernelSize: 2 }),
      tf.layers.reshape({ targetShape: [27] }),
      tf.layers.dense({ units: 32 }),
      tf.layers.reshape({ targetShape: [4, 4, 2] }),
      tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }),
      tf.layers.permute({ dims: [2, 1, 3] }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4 }),
    ]);
    await parity(m);
  });

  it('LeNet-5 needs two Transposes (input to NCHW, back to NHWC before Flatten); its channelsFirst variant composes its Permute with the first', async () => {
    const nhwc = buildModel({ name: 'lenet5', inputShape: [32, 32, 1], numClasses: 10, seed: 1 });
    const { exported } = await parity(nhwc);
    expect(exported.opCounts).toMatchObject({ Transpose: 2, Conv: 2, MaxPool: 2, Gemm: 3, Flatten: 1 });
    const nchw = buildModel({ name: 'lenet5', inputShape: [32, 32, 3], numClasses: 10, seed: 1, dataFormat: 'channelsFirst' });
    const r = await parity(nchw);
    // Permute [n,c,h,w] -> NHWC then NHWC -> NCHW cancel out: only the Transpose before Flatten is left.
    expect(r.exported.opCounts.Transpose).toBe(1);
    expect(r.exported.inputShape).toEqual([null, 3, 32, 32]);
  });

  it('the file is a well-formed ModelProto: opset 13, NHWC input with a dynamic batch, the tfjs names, metadata', () => {
    const m = buildModel({ name: 'lenet5', inputShape: [32, 32, 1], numClasses: 10, seed: 1 });
    const e = exportToOnnx(m, { metadata: { checkpoint: 'abc' } });
    const proto = onnx.ModelProto.decode(e.bytes);
    expect(Number(proto.opsetImport[0].version)).toBe(13);
    expect(proto.graph?.input?.map((i) => i.name)).toEqual(['image']);
    expect(proto.graph?.output?.map((o) => o.name)).toEqual(['fc3']);
    const dims = proto.graph?.input?.[0].type?.tensorType?.shape?.dim?.map((d) => d.dimParam || Number(d.dimValue));
    expect(dims).toEqual(['N', 32, 32, 1]);
    expect(Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]))).toEqual({ input_layout: 'NHWC', checkpoint: 'abc' });
    // Every weight is there: 61,706 parameters for LeNet-5 at 32x32x1, 10 classes.
    const params = (proto.graph?.initializer ?? []).reduce((s, t) => s + (t.dims ?? []).reduce((a, b) => a * Number(b), 1), 0);
    expect(params).toBe(61706);
  });
});

describe('exportToOnnx: what it refuses', () => {
  it('an unsupported layer: the error names the layer and its class, and lists what is supported', () => {
    const m = seq([8, 3], [tf.layers.conv1d({ filters: 2, kernelSize: 2, name: 'my_conv1d' })]);
    expect(() => exportToOnnx(m)).toThrow(OnnxExportError);
    expect(() => exportToOnnx(m)).toThrow(/layer "my_conv1d" \(Conv1D\) is not supported; supported layers: Conv2D, .*BatchNormalization/);
  });

  it('an unsupported option names the layer and the option', () => {
    const m = seq([6, 6, 2], [tf.layers.conv2d({ filters: 2, kernelSize: 2, name: 'c1', activation: 'gelu_new' as 'relu' })]);
    expect(() => exportToOnnx(m)).toThrow('ONNX export: layer "c1" (Conv2D): activation gelu_new is not supported');
    const bn = seq([4, 4, 2], [tf.layers.batchNormalization({ axis: 1, name: 'bn1' })]);
    expect(() => exportToOnnx(bn)).toThrow('layer "bn1" (BatchNormalization): axis 1 is not supported');
  });

  it('a layer applied twice (shared weights) is refused', () => {
    const input = tf.input({ shape: [4] });
    const d = tf.layers.dense({ units: 4, name: 'shared' });
    const y = d.apply(d.apply(input)) as tf.SymbolicTensor;
    expect(() => exportToOnnx(tf.model({ inputs: input, outputs: y }))).toThrow('layer "shared" (Dense) is applied 2 times; shared layers are not supported');
  });

  it('models with several inputs or outputs are refused', () => {
    const a = tf.input({ shape: [3] });
    const b = tf.input({ shape: [3] });
    const m = tf.model({ inputs: [a, b], outputs: tf.layers.add().apply([a, b]) as tf.SymbolicTensor });
    expect(() => exportToOnnx(m)).toThrow('one input and one output only (this one has 2 and 1)');
  });
});
