/** @jest-environment ./test/support/onnx-environment.js */
import * as tf from '@tensorflow/tfjs';
import { ErrorCode } from '@trainyard/common';
import { initBackend } from '../backend';
import { buildModel } from '../models';
import { exportToOnnx, loadOnnxRuntime, measureOnnxParity, tfjsRuntime } from '.';
import { permuteArray } from './graph';

beforeAll(() => initBackend('wasm'));

const lenet = () => buildModel({ name: 'lenet5', inputShape: [32, 32, 1], numClasses: 10, seed: 5 });

describe('InferenceRuntime', () => {
  it('ONNX and tfjs runtimes answer the same batch alike, with the same names and input shape', async () => {
    const model = lenet();
    const onnxRt = await loadOnnxRuntime(exportToOnnx(model).bytes, { intraOpThreads: 2 });
    const tfjsRt = tfjsRuntime(model);
    expect(onnxRt.kind).toBe('onnx');
    expect(tfjsRt.kind).toBe('tfjs');
    expect(onnxRt.inputShape).toEqual([null, 32, 32, 1]);
    const x = tf.randomUniform([5, 32, 32, 1], 0, 1, 'float32', 9).dataSync() as Float32Array;
    // Concurrent calls on one runtime are fine.
    const [a, b, c] = await Promise.all([onnxRt.run(x, [5, 32, 32, 1]), onnxRt.run(x.subarray(0, 1024), [1, 32, 32, 1]), tfjsRt.run(x, [5, 32, 32, 1])]);
    expect(a.length).toBe(50);
    Array.from(b).forEach((v, i) => expect(Math.abs(v - a[i])).toBeLessThan(1e-5));
    Array.from(c).forEach((v, i) => expect(Math.abs(v - a[i])).toBeLessThan(1e-4));
    await onnxRt.dispose();
    await tfjsRt.dispose();
    await expect(onnxRt.run(x, [5, 32, 32, 1])).rejects.toThrow('used after dispose()');
  });

  it.each(['onnx', 'tfjs'])('%s: a wrong shape or length is a BAD_USER_INPUT that names the problem', async (kind) => {
    const model = lenet();
    const rt = kind === 'onnx' ? await loadOnnxRuntime(exportToOnnx(model).bytes) : tfjsRuntime(model);
    const x = new Float32Array(2 * 32 * 32);
    await expect(rt.run(x, [2, 28, 28, 1])).rejects.toMatchObject({
      code: ErrorCode.BAD_USER_INPUT,
      message: "input shape [2,28,28,1] does not fit the model's [n,32,32,1]",
    });
    await expect(rt.run(x, [3, 32, 32, 1])).rejects.toThrow('input has 2048 values, shape [3,32,32,1] needs 3072');
    await expect(rt.run(new Float32Array(0), [0, 32, 32, 1])).rejects.toThrow('a batch needs at least one sample');
    await expect(rt.run(x, [2, 32, 32])).rejects.toThrow('does not fit');
    await rt.dispose();
  });

  it('bytes that are not an ONNX model, and bad thread counts, are refused clearly', async () => {
    await expect(loadOnnxRuntime(new TextEncoder().encode('not a model'))).rejects.toMatchObject({
      code: ErrorCode.BAD_USER_INPUT,
      message: expect.stringMatching(/^not a loadable ONNX model: /),
    });
    const bytes = exportToOnnx(lenet()).bytes;
    await expect(loadOnnxRuntime(bytes, { intraOpThreads: 0 })).rejects.toThrow('intraOpThreads must be an integer from 1 to 256, got 0');
  });
});

describe('permuteArray', () => {
  it('HWIO -> OIHW moves each kernel value to its ONNX position', () => {
    const shape = [2, 3, 4, 5]; // h, w, in, out
    const data = Float32Array.from({ length: 120 }, (_, i) => i);
    const out = permuteArray(data, shape, [3, 2, 0, 1]);
    for (let h = 0; h < 2; h++)
      for (let w = 0; w < 3; w++)
        for (let i = 0; i < 4; i++)
          for (let o = 0; o < 5; o++) expect(out[((o * 4 + i) * 2 + h) * 3 + w]).toBe(data[((h * 3 + w) * 4 + i) * 5 + o]);
  });
});

describe('measureOnnxParity', () => {
  it('is tiny for a faithful export and large when the ONNX file holds other weights', async () => {
    const model = lenet();
    const bytes = exportToOnnx(model).bytes;
    expect(await measureOnnxParity(model, bytes)).toBeLessThan(1e-4);
    const other = buildModel({ name: 'lenet5', inputShape: [32, 32, 1], numClasses: 10, seed: 6 });
    expect(await measureOnnxParity(other, bytes)).toBeGreaterThan(1e-2);
    // No tensors left behind by exporting and checking.
    const before = tf.memory().numTensors;
    await measureOnnxParity(model, exportToOnnx(model).bytes);
    expect(tf.memory().numTensors).toBe(before);
    // The model is still usable afterwards (the check does not dispose it).
    expect((model.predict(tf.zeros([1, 32, 32, 1])) as tf.Tensor).shape).toEqual([1, 10]);
  });
});
