import { applyOp, compileMap, HWC2CHW, oneHotInto, Rescale, Resize, TypeCast } from './ops';
import { MapOpSpec } from './pipeline-spec';

const f32 = (a: number[]) => new Float32Array(a);

describe('Resize (bilinear, half-pixel centres)', () => {
  // 2x2 -> 4x4: along each axis the source coordinates are -0.25 (clamped to 0), 0.25, 0.75, 1.25
  // (clamped to 1), so the weights are [1,0], [.75,.25], [.25,.75], [0,1].
  const src = { data: f32([0, 100, 200, 255]), shape: [2, 2, 1], dtype: 'float32' as const };

  it('upsamples a 2x2 float image to 4x4 as computed by hand', () => {
    const out = applyOp(new Resize({ size: [4, 4] }), src);
    expect(out.shape).toEqual([4, 4, 1]);
    const row0 = [0, 25, 75, 100];
    const row3 = [200, 213.75, 241.25, 255];
    const row1 = row0.map((v, i) => 0.75 * v + 0.25 * row3[i]); // [50, 72.1875, 116.5625, 138.75]
    const row2 = row0.map((v, i) => 0.25 * v + 0.75 * row3[i]);
    Array.from(out.data).forEach((v, i) => expect(v).toBeCloseTo([...row0, ...row1, ...row2, ...row3][i], 4));
  });

  it('rounds when the input is uint8, as MindSpore/OpenCV do', () => {
    const out = applyOp(new Resize({ size: [4, 4] }), { ...src, data: Uint8Array.from([0, 100, 200, 255]), dtype: 'uint8' });
    expect(out.dtype).toBe('uint8');
    expect(Array.from(out.data.subarray(4, 8))).toEqual([50, 72, 117, 139]);
  });

  it('downsampling by 2 averages 2x2 blocks; channels stay separate', () => {
    // 4x4x2: channel 0 = 0..15, channel 1 = 100 everywhere.
    const data = new Float32Array(32);
    for (let p = 0; p < 16; p++) {
      data[2 * p] = p;
      data[2 * p + 1] = 100;
    }
    const out = applyOp(new Resize({ size: [2, 2] }), { data, shape: [4, 4, 2], dtype: 'float32' });
    expect(Array.from(out.data)).toEqual([2.5, 100, 4.5, 100, 10.5, 100, 12.5, 100]);
  });

  it('a single size resizes the shorter edge and keeps the aspect ratio', () => {
    expect(new Resize({ size: 14 }).outShape([28, 56, 1])).toEqual([14, 28, 1]);
    expect(new Resize({ size: 14 }).outShape([56, 28, 3])).toEqual([28, 14, 3]);
  });

  it('same size is the identity; nearest picks source pixels', () => {
    expect(Array.from(applyOp(new Resize({ size: [2, 2] }), src).data)).toEqual([0, 100, 200, 255]);
    expect(Array.from(applyOp(new Resize({ size: [4, 4], interpolation: 'nearest' }), src).data.subarray(0, 4))).toEqual([0, 0, 100, 100]);
  });
});

describe('Rescale, HWC2CHW, TypeCast', () => {
  it('Rescale computes x * rescale + shift', () => {
    const out = applyOp(new Rescale({ rescale: 1 / 255, shift: -0.5 }), { data: Uint8Array.from([0, 51, 255]), shape: [1, 3, 1], dtype: 'uint8' });
    expect(out.dtype).toBe('float32');
    Array.from(out.data).forEach((v, i) => expect(v).toBeCloseTo([-0.5, -0.3, 0.5][i], 6));
  });

  it('HWC2CHW moves channels first', () => {
    const out = applyOp(new HWC2CHW(), { data: f32([0, 1, 2, 3, 4, 5]), shape: [1, 2, 3], dtype: 'float32' });
    expect(out.shape).toEqual([3, 1, 2]);
    expect(Array.from(out.data)).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('TypeCast int32 truncates toward zero', () => {
    const out = applyOp(new TypeCast({ dtype: 'int32' }), { data: f32([-1.5, 2.7, 3]), shape: [1, 3, 1], dtype: 'float32' });
    expect(out.dtype).toBe('int32');
    expect(Array.from(out.data)).toEqual([-1, 2, 3]);
  });
});

describe('compileMap', () => {
  const walkthrough: MapOpSpec[] = [
    { op: 'Resize', size: [4, 4], interpolation: 'bilinear' },
    { op: 'Rescale', rescale: 1 / 255, shift: 0 },
    { op: 'Rescale', rescale: 1 / 0.3081, shift: -0.1307 / 0.3081 },
    { op: 'HWC2CHW' },
    { op: 'TypeCast', dtype: 'float32' },
  ];

  it('gives the same result as applying each op in turn, writing at an offset', () => {
    const src = { data: Uint8Array.from([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110]), shape: [2, 3, 2], dtype: 'uint8' as const };
    let s = { ...src } as ReturnType<typeof applyOp>;
    for (const op of [
      new Resize({ size: [4, 4] }),
      new Rescale({ rescale: 1 / 255, shift: 0 }),
      new Rescale({ rescale: 1 / 0.3081, shift: -0.1307 / 0.3081 }),
      new HWC2CHW(),
      new TypeCast({ dtype: 'float32' }),
    ])
      s = applyOp(op, s);
    const prog = compileMap(walkthrough, [2, 3, 2]);
    expect(prog.outShape).toEqual([2, 4, 4]);
    const dst = new Float32Array(5 + prog.outSize);
    const padded = new Uint8Array(3 + 12);
    padded.set(src.data, 3);
    prog.run(padded, 3, dst, 5);
    Array.from(dst.subarray(5)).forEach((v, i) => expect(v).toBeCloseTo(s.data[i], 5));
  });

  it('with no ops, converts to float32 unchanged', () => {
    const prog = compileMap([], [1, 2, 1]);
    const dst = new Float32Array(2);
    prog.run(Uint8Array.from([7, 9]), 0, dst, 0);
    expect(Array.from(dst)).toEqual([7, 9]);
  });

  it('rejects Resize, crops and Normalize after HWC2CHW', () => {
    expect(() => compileMap([{ op: 'HWC2CHW' }, { op: 'Resize', size: [2, 2], interpolation: 'bilinear' }], [4, 4, 1])).toThrow(/before HWC2CHW/);
    expect(() => compileMap([{ op: 'HWC2CHW' }, { op: 'RandomCrop', size: 2, padding: 1 }], [4, 4, 1], 'uint8', { training: true })).toThrow(/before HWC2CHW/);
    expect(() => compileMap([{ op: 'HWC2CHW' }, { op: 'Normalize', mean: [1], std: [2] }], [4, 4, 1])).toThrow(/before HWC2CHW/);
  });
});

describe('the fused map (crops, flips, affine ops and HWC2CHW in one pass)', () => {
  const maps: Array<[string, MapOpSpec[], number[]]> = [
    ['RandomCrop(pad 4) + flip + Normalize', [{ op: 'RandomCrop', size: [32, 32], padding: 4 }, { op: 'RandomHorizontalFlip', p: 0.5 }, { op: 'Normalize', mean: [125, 122, 113], std: [62, 61, 66] }], [32, 32, 3]],
    ['Rescale before a padded crop, flip first, HWC2CHW last', [{ op: 'RandomHorizontalFlip', p: 0.5 }, { op: 'Rescale', rescale: 1 / 255, shift: 0.5 }, { op: 'RandomCrop', size: [6, 5], padding: 2 }, { op: 'HWC2CHW' }, { op: 'Rescale', rescale: 2, shift: -1 }], [7, 6, 3]],
    ['two padded crops (zeros of each get their own later affine)', [{ op: 'RandomCrop', size: [9, 9], padding: 3 }, { op: 'Rescale', rescale: 3, shift: 7 }, { op: 'RandomCrop', size: [8, 8], padding: 2 }, { op: 'Normalize', mean: [1, 2], std: [2, 4] }], [8, 8, 2]],
    ['CenterCrop larger than the image, one channel', [{ op: 'CenterCrop', size: [12, 10] }, { op: 'TypeCast', dtype: 'float32' }, { op: 'Rescale', rescale: 0.5, shift: 0 }], [9, 7, 1]],
    ["the walkthrough's Resize(32) + Rescale on 28x28x1 (uint8 resize, rounded)", [{ op: 'Resize', size: [32, 32], interpolation: 'bilinear' }, { op: 'Rescale', rescale: 1 / (255 * 0.3081), shift: -0.1307 / 0.3081 }], [28, 28, 1]],
    ['Rescale, then a float Resize down, a padded crop, a flip and HWC2CHW', [{ op: 'Rescale', rescale: 1 / 255, shift: 0 }, { op: 'Resize', size: [9, 7], interpolation: 'bilinear' }, { op: 'RandomCrop', size: [8, 8], padding: 2 }, { op: 'RandomHorizontalFlip', p: 0.5 }, { op: 'HWC2CHW' }], [13, 11, 3]],
    ['nearest Resize up, CenterCrop, Normalize', [{ op: 'Resize', size: [10, 12], interpolation: 'nearest' }, { op: 'CenterCrop', size: [8, 8] }, { op: 'Normalize', mean: [100, 50], std: [30, 20] }], [5, 6, 2]],
    ['a Resize alone (uint8 stays whole numbers)', [{ op: 'Resize', size: [7, 5], interpolation: 'bilinear' }], [4, 3, 3]],
  ];
  it.each(maps)('%s gives what op by op gives, with the same random draws', (_name, map, shape) => {
    const n = shape[0] * shape[1] * shape[2];
    const samples = 40;
    const src = new Uint8Array(n * samples).map((_, i) => (i * 37 + 11) % 256);
    const fused = compileMap(map, shape, 'uint8', { training: true });
    const slow = compileMap(map, shape, 'uint8', { training: true, fused: false });
    expect(fused.outShape).toEqual(slow.outShape);
    fused.reseed(42);
    slow.reseed(42);
    const a = new Float32Array(fused.outSize);
    const b = new Float32Array(slow.outSize);
    for (let s = 0; s < samples; s++) {
      fused.run(src, s * n, a, 0);
      slow.run(src, s * n, b, 0);
      for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 1e-4 * Math.max(1, Math.abs(b[i]))) throw new Error(`sample ${s} value ${i}: fused ${a[i]}, op by op ${b[i]}`);
    }
    // And the deterministic (evaluation) part.
    const e1 = compileMap(map, shape, 'uint8');
    const e2 = compileMap(map, shape, 'uint8', { fused: false });
    e1.run(src, 0, a, 0);
    e2.run(src, 0, b, 0);
    Array.from(a).forEach((v, i) => expect(v).toBeCloseTo(b[i], 3));
  });

  it('fuses a Resize before the crops and flips: the same rounded values as op by op', () => {
    const p = compileMap([{ op: 'Resize', size: [4, 4], interpolation: 'bilinear' }, { op: 'RandomHorizontalFlip', p: 1 }], [2, 2, 1], 'uint8', { training: true });
    const out = new Float32Array(16);
    p.run(new Uint8Array([0, 100, 200, 255]), 0, out, 0);
    expect(Array.from(out.subarray(0, 4))).toEqual([100, 75, 25, 0]);
  });

  it('falls back to op by op for a Resize after a flip, and for Grayscale', () => {
    const map: MapOpSpec[] = [{ op: 'RandomHorizontalFlip', p: 1 }, { op: 'Resize', size: [4, 4], interpolation: 'bilinear' }, { op: 'Grayscale' }];
    const fast = compileMap(map, [2, 2, 3], 'uint8', { training: true });
    const slow = compileMap(map, [2, 2, 3], 'uint8', { training: true, fused: false });
    const src = new Uint8Array(12).map((_, i) => i * 20);
    const [a, b] = [new Float32Array(16), new Float32Array(16)];
    fast.run(src, 0, a, 0);
    slow.run(src, 0, b, 0);
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

describe('OneHot (a label op)', () => {
  it('writes one-hot rows with smoothing, and rejects a label outside [0, numClasses)', () => {
    expect(Array.from(oneHotInto({ numClasses: 3, smoothing: 0 }, [2, 0], 2, new Float32Array(6)))).toEqual([0, 0, 1, 1, 0, 0]);
    const smooth = oneHotInto({ numClasses: 4, smoothing: 0.2 }, [1], 1, new Float32Array(4));
    expect(Array.from(smooth).map((v) => +v.toFixed(4))).toEqual([0.05, 0.85, 0.05, 0.05]);
    expect(() => oneHotInto({ numClasses: 3, smoothing: 0 }, [3], 1, new Float32Array(3))).toThrow(/label 3 is outside OneHot's \[0, 3\)/);
  });

  it('is left out of the sample program (serving has no labels), wherever it sits in the map', () => {
    const withIt = compileMap([{ op: 'OneHot', numClasses: 10, smoothing: 0 }, { op: 'Rescale', rescale: 2, shift: 0 }], [1, 2, 1], 'uint8');
    const out = new Float32Array(2);
    withIt.run(new Uint8Array([3, 4]), 0, out, 0);
    expect(Array.from(out)).toEqual([6, 8]);
    expect(withIt.outShape).toEqual([1, 2, 1]);
  });
});
