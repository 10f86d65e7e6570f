import { signatureFromSpec, softmaxRows, topK } from './signature';

const spec = {
  imageShape: [28, 28, 1],
  model: { name: 'lenet5', numClasses: 10 },
  pipeline: { map: [{ op: 'Resize', size: [32, 32] }, { op: 'Rescale', rescale: 1 / 255, shift: 0 }] },
};

describe('model signatures', () => {
  it('come from the experiment spec: raw input shape, the compiled map ops, classes', () => {
    const s = signatureFromSpec(spec);
    expect(s.rawShape).toEqual([28, 28, 1]);
    expect(s.modelShape).toEqual([32, 32, 1]);
    expect(s.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const out = new Float32Array(s.modelSize);
    s.program.run(new Float32Array(784).fill(255), 0, out, 0);
    expect(out[0]).toBeCloseTo(1, 5); // Rescale 1/255; no inversion or other MNIST-only step
    const named = signatureFromSpec({ ...spec, model: { numClasses: 3 }, classNames: ['cat', 'dog', 'bird'] });
    expect(named.classNames).toEqual(['cat', 'dog', 'bird']);
    expect(() => signatureFromSpec({ ...spec, imageShape: [28, 28] })).toThrow(/imageShape/);
    // Training-only augmentations are not applied when serving.
    const augmented = signatureFromSpec({ ...spec, pipeline: { map: [...spec.pipeline.map, { op: 'RandomHorizontalFlip', p: 1 }] } });
    const a = new Float32Array(augmented.modelSize);
    const b = new Float32Array(s.modelSize);
    const img = Float32Array.from({ length: 784 }, (_, i) => i % 255);
    augmented.program.run(img, 0, a, 0);
    s.program.run(img, 0, b, 0);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('softmax per row and top-k, best first', () => {
    const p = softmaxRows(Float32Array.from([0, 0, Math.log(2), 1, 1, 1]), 3);
    expect(Array.from(p.subarray(0, 3)).map((v) => +v.toFixed(4))).toEqual([0.25, 0.25, 0.5]);
    expect(topK(p.subarray(0, 3), 2, ['a', 'b', 'c'])).toEqual([
      { index: 2, name: 'c', probability: expect.closeTo(0.5, 5) },
      { index: 0, name: 'a', probability: expect.closeTo(0.25, 5) },
    ]);
  });
});
