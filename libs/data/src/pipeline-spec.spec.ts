import { ErrorCode, TrainyardError } from '@trainyard/common';
import { batchesPerEpoch, checkLabelOps, deterministicMap, outputShape, validatePipelineSpec } from './pipeline-spec';

const walkthrough = {
  map: [
    { op: 'Resize', size: [32, 32] },
    { op: 'Rescale', rescale: 1 / (255 * 0.3081), shift: -0.1307 / 0.3081 },
    { op: 'TypeCast', dtype: 'float32' },
  ],
  shuffle: { bufferSize: 10_000 },
  batch: { size: 32, dropRemainder: true },
};

const messageOf = (value: unknown, opts?: { datasetSize?: number }) => {
  try {
    validatePipelineSpec(value, opts);
  } catch (e) {
    expect((e as TrainyardError).code).toBe(ErrorCode.BAD_USER_INPUT);
    return (e as Error).message;
  }
  throw new Error('expected a rejection');
};

describe('validatePipelineSpec', () => {
  it('accepts the walkthrough and fills defaults', () => {
    const spec = validatePipelineSpec(walkthrough);
    expect(spec.map[0]).toEqual({ op: 'Resize', size: [32, 32], interpolation: 'bilinear' });
    expect(validatePipelineSpec({})).toEqual({ map: [], batch: { size: 32, dropRemainder: true } });
  });

  it.each([
    [{ ...walkthrough, map: [walkthrough.map[0], { op: 'Rescale', rescale: 'x', shift: 0 }] }, 'pipeline.map[1].rescale must be a finite number'],
    [{ ...walkthrough, map: [{ op: 'Rescale', rescale: Infinity, shift: 0 }] }, 'pipeline.map[0].rescale must be a finite number'],
    [{ ...walkthrough, map: [{ op: 'Rescale', rescale: 1 }] }, 'pipeline.map[0].shift is required'],
    [{ ...walkthrough, map: [{ op: 'Blur' }] }, 'pipeline.map[0].op must be one of Resize, Rescale, Normalize, HWC2CHW, TypeCast, Grayscale, CenterCrop, RandomCrop, RandomHorizontalFlip, RandomRotation'],
    [{ ...walkthrough, map: [{ op: 'Resize', size: [0, 32] }] }, 'pipeline.map[0].size[0] must be >= 1'],
    [{ ...walkthrough, map: [{ op: 'TypeCast', dtype: 'float64' }] }, 'pipeline.map[0].dtype must be one of float32, int32, got "float64"'],
    [{ ...walkthrough, map: [{ op: 'HWC2CHW', axes: 1 }] }, 'pipeline.map[0] has unknown field axes'],
    [{ ...walkthrough, batch: { size: 0, dropRemainder: true } }, 'pipeline.batch.size must be >= 1'],
    [{ ...walkthrough, batch: { size: 2.5, dropRemainder: true } }, 'pipeline.batch.size must be an integer'],
    [{ ...walkthrough, shuffle: { bufferSize: -1 } }, 'pipeline.shuffle.bufferSize must be >= 0'],
    [{ ...walkthrough, repeat: 0 }, 'pipeline.repeat must be >= 1'],
    [{ ...walkthrough, map: [{ op: 'HWC2CHW' }, { op: 'Resize', size: [2, 2] }] }, 'pipeline.map[1] Resize works on HWC samples; put it before HWC2CHW'],
  ])('rejects %#', (value, message) => {
    expect(messageOf(value)).toContain(message);
  });

  it('rejects a drop_remainder batch larger than the dataset', () => {
    expect(messageOf({ ...walkthrough, batch: { size: 128, dropRemainder: true } }, { datasetSize: 100 })).toBe(
      'batch size 128 is larger than the dataset (100 samples)',
    );
    expect(validatePipelineSpec({ ...walkthrough, batch: { size: 128, dropRemainder: false } }, { datasetSize: 100 }).batch.size).toBe(128);
  });
});

describe('outputShape and batchesPerEpoch', () => {
  it('follows Resize and HWC2CHW', () => {
    const spec = validatePipelineSpec(walkthrough);
    expect(outputShape(spec, [28, 28, 1])).toEqual([32, 32, 1]);
    expect(outputShape(validatePipelineSpec({ map: [...walkthrough.map, { op: 'HWC2CHW' }] }), [28, 28, 3])).toEqual([3, 32, 32]);
    expect(outputShape({ map: [] }, [28, 28, 1])).toEqual([28, 28, 1]);
  });

  it('counts batches per epoch with repeat and drop_remainder', () => {
    expect(batchesPerEpoch({ batch: { size: 32, dropRemainder: true } }, 60_000)).toBe(1875);
    expect(batchesPerEpoch({ batch: { size: 64, dropRemainder: true } }, 100)).toBe(1);
    expect(batchesPerEpoch({ batch: { size: 64, dropRemainder: false } }, 100)).toBe(2);
    expect(batchesPerEpoch({ batch: { size: 64, dropRemainder: true }, repeat: 3 }, 100)).toBe(3);
  });
});

describe('OneHot in the pipeline spec', () => {
  it('validates numClasses and smoothing, once per map, and keeps it in the deterministic part', () => {
    const spec = validatePipelineSpec({ map: [{ op: 'Rescale', rescale: 1, shift: 0 }, { op: 'OneHot', numClasses: 10 }] });
    expect(spec.map[1]).toEqual({ op: 'OneHot', numClasses: 10, smoothing: 0 });
    expect(deterministicMap(spec.map)).toContainEqual({ op: 'OneHot', numClasses: 10, smoothing: 0 });
    expect(() => validatePipelineSpec({ map: [{ op: 'OneHot', numClasses: 1 }] })).toThrow(/pipeline\.map\[0\]\.numClasses must be >= 2/);
    expect(() => validatePipelineSpec({ map: [{ op: 'OneHot', numClasses: 3, smoothing: 1 }] })).toThrow(/pipeline\.map\[0\]\.smoothing must be < 1/);
    expect(() => validatePipelineSpec({ map: [{ op: 'OneHot', numClasses: 3 }, { op: 'OneHot', numClasses: 3 }] })).toThrow(/map\[1\] OneHot: the label is already one-hot/);
    expect(() => validatePipelineSpec({ map: [{ op: 'OneHot' }] })).toThrow(/pipeline\.map\[0\]\.numClasses is required/);
  });

  it('checks OneHot against the labels and the model', () => {
    const map = validatePipelineSpec({ map: [{ op: 'OneHot', numClasses: 5 }] }).map;
    expect(() => checkLabelOps(map, { task: 'regression' })).toThrow(/OneHot needs class labels, but this dataset has a regression target/);
    expect(() => checkLabelOps(map, { task: 'classification', numClasses: 6 })).toThrow(/numClasses 5 is smaller than the dataset's 6 classes/);
    expect(() => checkLabelOps(map, { task: 'classification', numClasses: 5, modelOutputs: 7 })).toThrow(/must equal model\.numClasses 7/);
    expect(() => checkLabelOps(map, { task: 'classification', numClasses: 5, modelOutputs: 5 })).not.toThrow();
  });
});
