/** @jest-environment ./test/support/onnx-environment.js */
// The parity test: zoo models trained for a few steps on MNIST, exported, loaded in ONNX
// Runtime, and run over MNIST's test split next to tfjs through the same InferenceRuntime interface.
// Every output must agree within 1e-4. ONNX_PARITY_CNN_IMAGES sets how many test images the heavier
// `cnn` runs on (default 2,000; 10000 for the whole split).
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend';
import { buildModel, ModelSpec } from '../models';
import { argmaxRows } from '../metrics';
import { exportToOnnx, InferenceRuntime, loadOnnxRuntime, tfjsRuntime } from '.';
import { mnistTestImages, trainSteps } from './testing';

beforeAll(() => initBackend('wasm'));

async function runAll(rt: InferenceRuntime, x: Float32Array, shape: number[], batch: number, classes: number): Promise<Float32Array> {
  const [n, ...rest] = shape;
  const per = rest.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n * classes);
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    out.set(await rt.run(x.subarray(s * per, (s + m) * per), [m, ...rest]), s * classes);
  }
  return out;
}

async function checkParity(spec: ModelSpec, steps: number, images: number, pad: number) {
  const model = buildModel(spec);
  const loss = trainSteps(model, steps, pad);
  expect(Number.isFinite(loss)).toBe(true);
  const exported = exportToOnnx(model);
  const onnxRt = await loadOnnxRuntime(exported.bytes);
  const tfjsRt = tfjsRuntime(model);
  expect([onnxRt.inputName, onnxRt.outputName]).toEqual([tfjsRt.inputName, tfjsRt.outputName]);
  expect(onnxRt.inputShape).toEqual(tfjsRt.inputShape);

  const { x, labels, shape } = mnistTestImages(images, pad);
  const classes = spec.numClasses;
  const expected = await runAll(tfjsRt, x, shape, 256, classes);
  const got = await runAll(onnxRt, x, shape, 256, classes);
  let maxDiff = 0;
  for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
  const accuracy = (logits: Float32Array) => argmaxRows(logits, classes).reduce((c, p, i) => c + (p === labels[i] ? 1 : 0), 0) / labels.length;
  const result = { images: labels.length, maxDiff, onnxAccuracy: accuracy(got), tfjsAccuracy: accuracy(expected) };
  console.log(`${spec.name}: ${JSON.stringify(result)}`);
  expect(labels.length).toBe(images);
  expect(maxDiff).toBeLessThan(1e-4);
  expect(result.onnxAccuracy).toBeCloseTo(result.tfjsAccuracy, 3);
  await onnxRt.dispose();
  await tfjsRt.dispose();
  return result;
}

describe('ONNX parity on MNIST test images', () => {
  it('LeNet-5 (32x32x1, trained 40 steps): all 10,000 test images agree within 1e-4', async () => {
    const r = await checkParity({ name: 'lenet5', inputShape: [32, 32, 1], numClasses: 10, seed: 7 }, 40, 10000, 2);
    // The weights are trained, not initial: far better than chance (10%).
    expect(r.tfjsAccuracy).toBeGreaterThan(0.5);
  }, 120_000);

  it('cnn (28x28x1, trained 10 steps): test images agree within 1e-4', async () => {
    const images = Number(process.env.ONNX_PARITY_CNN_IMAGES ?? 2000);
    const r = await checkParity({ name: 'cnn', inputShape: [28, 28, 1], numClasses: 10, seed: 11 }, 10, images, 0);
    expect(r.tfjsAccuracy).toBeGreaterThan(0.2);
  }, 300_000);
});
