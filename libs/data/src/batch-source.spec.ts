import { ErrorCode, TrainyardError } from '@trainyard/common';
import { buildBatchSource } from './batch-source';
import { ImageSplit } from './mnist';
import { compileMap } from './ops';
import { PipelineSpec, validatePipelineSpec } from './pipeline-spec';

/** 100 4x4x1 samples: sample i is filled with i, labelled i % 10, so a batch says which samples it holds. */
function split(count = 100): ImageSplit {
  const images = new Uint8Array(count * 16);
  for (let i = 0; i < count; i++) images.fill(i, i * 16, (i + 1) * 16);
  return { images, labels: Uint8Array.from({ length: count }, (_, i) => i % 10), count, shape: [4, 4, 1] };
}

const spec = (over: Partial<PipelineSpec> = {}) =>
  validatePipelineSpec({
    map: [
      { op: 'Resize', size: [8, 8] },
      { op: 'Rescale', rescale: 1, shift: 0.5 },
    ],
    shuffle: { bufferSize: 1000 },
    batch: { size: 32, dropRemainder: true },
    ...over,
  });

/** Which sample each row of each batch came from (every pixel equals index + 0.5). */
const samplesOf = (batches: Iterable<{ x: Float32Array; xShape: number[] }>) =>
  Array.from(batches).map((b) => {
    const per = b.x.length / b.xShape[0];
    return Array.from({ length: b.xShape[0] }, (_, i) => b.x[i * per] - 0.5);
  });

describe('buildBatchSource', () => {
  it('yields [n, ...sampleShape] float batches with int32 labels matching the samples', () => {
    const src = buildBatchSource(split(), spec(), { seed: 1, shuffle: true });
    expect(src.sampleShape).toEqual([8, 8, 1]);
    expect(src.batchesPerEpoch).toBe(3);
    expect(src.samplesPerEpoch).toBe(96);
    const batches = Array.from(src.epoch(0));
    expect(batches).toHaveLength(3);
    for (const b of batches) {
      expect(b.xShape).toEqual([32, 8, 8, 1]);
      expect(b.x).toBeInstanceOf(Float32Array);
      expect(b.y).toBeInstanceOf(Int32Array);
      expect(b.x.length).toBe(32 * 64);
      const per = 64;
      for (let i = 0; i < 32; i++) {
        const sample = b.x[i * per] - 0.5;
        expect(b.y[i]).toBe(sample % 10);
        expect(b.x.subarray(i * per, (i + 1) * per).every((v) => v === sample + 0.5)).toBe(true);
      }
    }
  });

  it('runs the compiled map on each sample', () => {
    const s = split(3);
    s.images.set([0, 255, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
    const map = validatePipelineSpec({ map: [{ op: 'Resize', size: [3, 5] }, { op: 'Rescale', rescale: 1 / 255, shift: -1 }, { op: 'HWC2CHW' }] }).map;
    const src = buildBatchSource(s, { map, batch: { size: 3, dropRemainder: false } }, { seed: 0, shuffle: false });
    const [b] = Array.from(src.epoch(0));
    const expected = new Float32Array(15);
    compileMap(map, [4, 4, 1]).run(s.images, 0, expected, 0);
    expect(Array.from(b.x.subarray(0, 15))).toEqual(Array.from(expected));
    expect(b.xShape).toEqual([3, 1, 3, 5]);
  });

  it('is deterministic per (seed, epoch), differs across epochs, and visits each sample once per epoch', () => {
    const a = buildBatchSource(split(), spec(), { seed: 7, shuffle: true });
    const b = buildBatchSource(split(), spec(), { seed: 7, shuffle: true });
    const e0 = samplesOf(a.epoch(0));
    expect(samplesOf(b.epoch(0))).toEqual(e0);
    expect(samplesOf(a.epoch(0))).toEqual(e0); // re-creating an epoch gives it again
    const e1 = samplesOf(a.epoch(1));
    expect(e1).not.toEqual(e0);
    const seen = e0.flat();
    expect(new Set(seen).size).toBe(96);
    expect(samplesOf(buildBatchSource(split(), spec(), { seed: 8, shuffle: true }).epoch(0))).not.toEqual(e0);
  });

  it('supports resume: epoch e with the first k batches skipped equals the tail of epoch e', () => {
    const src = buildBatchSource(split(), spec({ batch: { size: 10, dropRemainder: true } }), { seed: 3, shuffle: true });
    const full = samplesOf(src.epoch(4));
    const resumed = samplesOf(
      (function* () {
        let k = 0;
        for (const batch of src.epoch(4)) if (k++ >= 6) yield batch;
      })(),
    );
    expect(resumed).toEqual(full.slice(6));
  });

  it('shuffle false (or bufferSize 0) keeps file order; drop_remainder can be overridden for evaluation', () => {
    const plain = buildBatchSource(split(), spec(), { seed: 1, shuffle: false, dropRemainder: false });
    const order = samplesOf(plain.epoch(0));
    expect(order.map((b) => b.length)).toEqual([32, 32, 32, 4]);
    expect(order.flat()).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(plain.batchesPerEpoch).toBe(4);
    const off = buildBatchSource(split(), spec({ shuffle: { bufferSize: 0 } }), { seed: 1, shuffle: true });
    expect(samplesOf(off.epoch(0)).flat()).toEqual(Array.from({ length: 96 }, (_, i) => i));
  });

  it('repeat makes an epoch several passes, each shuffled differently', () => {
    const src = buildBatchSource(split(), spec({ repeat: 2 }), { seed: 1, shuffle: true });
    expect(src.batchesPerEpoch).toBe(6);
    const batches = samplesOf(src.epoch(0));
    expect(batches).toHaveLength(6);
    expect(batches.slice(0, 3)).not.toEqual(batches.slice(3));
  });

  it('rejects a drop_remainder batch larger than the dataset', () => {
    try {
      buildBatchSource(split(), spec({ batch: { size: 128, dropRemainder: true } }), { seed: 1, shuffle: true });
      throw new Error('expected a rejection');
    } catch (e) {
      expect((e as TrainyardError).code).toBe(ErrorCode.BAD_USER_INPUT);
      expect((e as Error).message).toBe('batch size 128 is larger than the dataset (100 samples)');
    }
  });

  it('reuseBuffers hands out the same arrays', () => {
    const src = buildBatchSource(split(), spec(), { seed: 1, shuffle: true, reuseBuffers: true });
    const it = src.epoch(0)[Symbol.iterator]();
    const first = it.next().value!;
    const second = it.next().value!;
    expect(second.x).toBe(first.x);
  });
});
