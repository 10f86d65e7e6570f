import { z } from 'zod';
import { badInput } from '@trainyard/common';

export const MAP_OPS = ['Resize', 'Rescale', 'Normalize', 'HWC2CHW', 'TypeCast', 'Grayscale', 'CenterCrop', 'RandomCrop', 'RandomHorizontalFlip', 'RandomRotation', 'OneHot'] as const;
/**
 * Ops on the label column rather than the sample (MindSpore's `input_columns="label"`): OneHot turns
 * a class index into a float row (Batch.targets). They are deterministic; evaluation applies them to
 * its labels, and serving (which has no labels) skips them.
 */
export const LABEL_OPS = ['OneHot'] as const;
const MAX_ONE_HOT = 65_536;
/** Ops that draw random numbers: applied in training only (evaluation and serving run deterministicMap). */
export const RANDOM_OPS = ['RandomCrop', 'RandomHorizontalFlip', 'RandomRotation'] as const;
const MAX_SIDE = 4096;

const side = z.number().int().min(1).max(MAX_SIDE);

const resizeSchema = z
  .object({
    op: z.literal('Resize'),
    /** [height, width], or one number: the shorter edge, keeping the aspect ratio (MindSpore). */
    size: z.union([side, z.tuple([side, side])]),
    /** MindSpore's default Inter.LINEAR is bilinear. */
    interpolation: z.enum(['bilinear', 'nearest']).default('bilinear'),
  })
  .strict();
const rescaleSchema = z.object({ op: z.literal('Rescale'), rescale: z.number().finite(), shift: z.number().finite() }).strict();
const hwc2chwSchema = z.object({ op: z.literal('HWC2CHW') }).strict();
const typeCastSchema = z.object({ op: z.literal('TypeCast'), dtype: z.enum(['float32', 'int32']) }).strict();

const perChannel = z.array(z.number().finite()).min(1).max(4096);
const normalizeSchema = z
  .object({
    op: z.literal('Normalize'),
    /** Per channel, in the units the op sees (raw pixels 0-255 unless rescaled before); or 'dataset'. */
    mean: z.union([perChannel, z.literal('dataset')]),
    std: z.union([z.array(z.number().finite().positive()).min(1).max(4096), z.literal('dataset')]),
  })
  .strict();
const grayscaleSchema = z.object({ op: z.literal('Grayscale') }).strict();
const cropSize = z.union([side, z.tuple([side, side])]);
const centerCropSchema = z.object({ op: z.literal('CenterCrop'), size: cropSize }).strict();
const randomCropSchema = z.object({ op: z.literal('RandomCrop'), size: cropSize, padding: z.number().int().min(0).max(512).default(0) }).strict();
const flipSchema = z.object({ op: z.literal('RandomHorizontalFlip'), p: z.number().min(0).max(1).default(0.5) }).strict();
const rotationSchema = z.object({ op: z.literal('RandomRotation'), degrees: z.number().min(0).max(180) }).strict();
/** MindSpore's OneHot(num_classes, smoothing_rate): row = one-hot * (1 - smoothing) + smoothing / numClasses. */
const oneHotSchema = z
  .object({ op: z.literal('OneHot'), numClasses: z.number().int().min(2).max(MAX_ONE_HOT), smoothing: z.number().min(0).lt(1).default(0) })
  .strict();

export const mapOpSchema = z.discriminatedUnion('op', [
  resizeSchema,
  rescaleSchema,
  normalizeSchema,
  hwc2chwSchema,
  typeCastSchema,
  grayscaleSchema,
  centerCropSchema,
  randomCropSchema,
  flipSchema,
  rotationSchema,
  oneHotSchema,
]);

export const pipelineSpecSchema = z
  .object({
    map: z.array(mapOpSchema).max(32).default([]),
    /** bufferSize 0 (or no shuffle entry) turns shuffling off. */
    shuffle: z.object({ bufferSize: z.number().int().min(0).max(10_000_000) }).strict().optional(),
    batch: z.object({ size: z.number().int().min(1).max(65_536), dropRemainder: z.boolean().default(false) }).strict().default({ size: 32, dropRemainder: true }),
    repeat: z.number().int().min(1).max(1000).optional(),
    /** Dataset ops before shuffling: skip the first `skip` samples, then keep at most `take`. */
    skip: z.number().int().min(0).optional(),
    take: z.number().int().min(1).optional(),
  })
  .strict();

export type MapOpSpec = z.infer<typeof mapOpSchema>;
export type ResizeSpec = z.infer<typeof resizeSchema>;
export type RescaleSpec = z.infer<typeof rescaleSchema>;
export type TypeCastSpec = z.infer<typeof typeCastSchema>;
export type OneHotSpec = z.infer<typeof oneHotSchema>;
/** A validated pipeline, as stored with an experiment. */
export type PipelineSpec = z.infer<typeof pipelineSpecSchema>;
/** What a client may send (defaults not yet filled in). */
export type PipelineSpecInput = z.input<typeof pipelineSpecSchema>;

const fieldName = (path: (string | number)[]) =>
  path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : `${acc}.${p}`), 'pipeline');

/** Phrases each zod issue as a predicate, so messages read "pipeline.map[1].rescale must be a finite number". */
const errorMap: z.ZodErrorMap = (issue, ctx) => {
  switch (issue.code) {
    case z.ZodIssueCode.invalid_type:
      if (issue.received === 'undefined') return { message: 'is required' };
      if (issue.expected === 'number') return { message: 'must be a finite number' };
      if (issue.expected === 'integer') return { message: 'must be an integer' };
      return { message: `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}, got ${issue.received}` };
    case z.ZodIssueCode.not_finite:
      return { message: 'must be a finite number' };
    case z.ZodIssueCode.too_small:
      if (issue.type === 'number') return { message: `must be ${issue.inclusive ? '>=' : '>'} ${issue.minimum}` };
      return { message: `must have at least ${issue.minimum} entries` };
    case z.ZodIssueCode.too_big:
      if (issue.type === 'number') return { message: `must be ${issue.inclusive ? '<=' : '<'} ${issue.maximum}` };
      return { message: `must have at most ${issue.maximum} entries` };
    case z.ZodIssueCode.invalid_union_discriminator:
      return { message: `must be one of ${issue.options.join(', ')}` };
    case z.ZodIssueCode.invalid_enum_value:
      return { message: `must be one of ${issue.options.join(', ')}, got ${JSON.stringify(issue.received)}` };
    case z.ZodIssueCode.unrecognized_keys:
      return { message: `has unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` };
    case z.ZodIssueCode.invalid_union:
      return { message: 'must be a positive integer or [height, width]' };
    default:
      return { message: ctx.defaultError };
  }
};

/**
 * Validates a pipeline (fills defaults: map [], batch 32 with drop_remainder) or throws BAD_USER_INPUT
 * naming the first bad field. With `datasetSize`, also rejects a drop_remainder batch larger than the
 * dataset (it would yield no batches at all).
 */
export function validatePipelineSpec(value: unknown, opts: { datasetSize?: number } = {}): PipelineSpec {
  const r = pipelineSpecSchema.safeParse(value, { errorMap });
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = fieldName(issue.path);
    throw badInput(`${field} ${issue.message}`, { field });
  }
  const spec = r.data;
  checkLayout(spec.map);
  if (opts.datasetSize !== undefined) checkBatchFits(spec, opts.datasetSize);
  return spec;
}

/** Ops that read the HWC layout. */
export const HWC_OPS = new Set(['Resize', 'Grayscale', 'CenterCrop', 'RandomCrop', 'RandomHorizontalFlip', 'RandomRotation', 'Normalize']);

/** HWC ops (Resize, crops, flips...) must come before HWC2CHW, and HWC2CHW at most once; OneHot at most once. */
function checkLayout(map: MapOpSpec[]) {
  let chw = false;
  let oneHot = false;
  map.forEach((op, i) => {
    if (op.op === 'OneHot') {
      if (oneHot) throw badInput(`pipeline.map[${i}] OneHot: the label is already one-hot`, { field: `pipeline.map[${i}]` });
      oneHot = true;
    } else if (op.op === 'HWC2CHW') {
      if (chw) throw badInput(`pipeline.map[${i}] HWC2CHW: the sample is already CHW`, { field: `pipeline.map[${i}]` });
      chw = true;
    } else if (HWC_OPS.has(op.op) && chw) {
      throw badInput(`pipeline.map[${i}] ${op.op} works on HWC samples; put it before HWC2CHW`, { field: `pipeline.map[${i}]` });
    }
  });
}

/** The label op of a map, if any (OneHot). */
export function oneHotOf(map: readonly MapOpSpec[]): OneHotSpec | undefined {
  return map.find((op): op is OneHotSpec => op.op === 'OneHot');
}

/** The map without its label ops: what runs on each sample (and all that serving runs). */
export function sampleMap(map: readonly MapOpSpec[]): MapOpSpec[] {
  return map.filter((op) => op.op !== 'OneHot');
}

/**
 * Checks a map's label ops against what the dataset's labels are: OneHot needs class labels, and
 * `numClasses` must cover the dataset's classes and equal the model's outputs (the targets' width).
 */
export function checkLabelOps(map: readonly MapOpSpec[], labels: { task: 'classification' | 'regression'; numClasses?: number | null; modelOutputs?: number }) {
  const i = map.findIndex((op) => op.op === 'OneHot');
  if (i < 0) return;
  const op = map[i] as OneHotSpec;
  const field = `pipeline.map[${i}].numClasses`;
  if (labels.task === 'regression') throw badInput(`pipeline.map[${i}] OneHot needs class labels, but this dataset has a regression target`, { field: `pipeline.map[${i}]` });
  if (labels.numClasses && op.numClasses < labels.numClasses) throw badInput(`${field} ${op.numClasses} is smaller than the dataset's ${labels.numClasses} classes`, { field });
  if (labels.modelOutputs !== undefined && op.numClasses !== labels.modelOutputs) {
    throw badInput(`${field} ${op.numClasses} must equal model.numClasses ${labels.modelOutputs} (the model's outputs are compared with the one-hot rows)`, { field });
  }
}

/** Per-channel statistics Normalize('dataset') uses: the train split's, from the dataset index. */
export interface ChannelStats {
  mean: number[];
  std: number[];
}

/**
 * The deterministic part of a map, for evaluation and serving: random ops dropped, RandomCrop
 * replaced by a CenterCrop of the same size, Normalize('dataset') resolved with `stats`. Serving
 * preprocesses an input exactly as evaluation did by running compileMap(deterministicMap(...)).
 */
export function deterministicMap(map: MapOpSpec[], stats?: ChannelStats): MapOpSpec[] {
  const out: MapOpSpec[] = [];
  for (const op of resolveDatasetStats(map, stats)) {
    if (op.op === 'RandomCrop') out.push({ op: 'CenterCrop', size: op.size });
    else if (op.op === 'RandomHorizontalFlip' || op.op === 'RandomRotation') continue;
    else out.push(op);
  }
  return out;
}

/** Replaces Normalize('dataset') by the numbers (throws when a map needs stats and none are given). */
export function resolveDatasetStats(map: MapOpSpec[], stats?: ChannelStats): MapOpSpec[] {
  return map.map((op) => {
    if (op.op !== 'Normalize' || (op.mean !== 'dataset' && op.std !== 'dataset')) return op;
    if (!stats) throw badInput("Normalize with 'dataset' needs the dataset's statistics", { field: 'pipeline.map' });
    const std = stats.std.map((s) => (s > 0 ? s : 1));
    return { op: 'Normalize', mean: op.mean === 'dataset' ? stats.mean : op.mean, std: op.std === 'dataset' ? std : op.std };
  });
}

export function checkBatchFits(spec: PipelineSpec, datasetSize: number) {
  if (spec.batch.dropRemainder && spec.batch.size > datasetSize) {
    throw badInput(`batch size ${spec.batch.size} is larger than the dataset (${datasetSize} samples)`, {
      field: 'pipeline.batch.size',
    });
  }
}

export const cropTarget = (size: number | [number, number]): [number, number] => (Array.isArray(size) ? size : [size, size]);

/** Output [height, width] of a Resize, MindSpore's rule for a single size: the shorter edge becomes `size`. */
export function resizeTarget(size: number | [number, number], h: number, w: number): [number, number] {
  if (Array.isArray(size)) return size;
  return h <= w ? [size, Math.max(1, Math.floor((w * size) / h))] : [Math.max(1, Math.floor((h * size) / w)), size];
}

/**
 * The shape of one sample after the map ops, given the source sample shape [h, w, c]: [h', w', c]
 * (channels last) or [c, h', w'] after HWC2CHW. Batches are [n, ...this].
 */
export function outputShape(spec: Pick<PipelineSpec, 'map'>, inputShape: readonly [number, number, number] | readonly number[]): number[] {
  if (inputShape.length !== 3 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw badInput(`input shape must be [height, width, channels] of positive integers, got ${JSON.stringify(inputShape)}`);
  }
  let [h, w, c] = inputShape as [number, number, number];
  let chw = false;
  for (const op of spec.map) {
    if (op.op === 'Resize') [h, w] = resizeTarget(op.size, h, w);
    if (op.op === 'CenterCrop' || op.op === 'RandomCrop') [h, w] = cropTarget(op.size);
    if (op.op === 'Grayscale') c = 1;
    if (op.op === 'HWC2CHW') chw = true;
  }
  return chw ? [c, h, w] : [h, w, c];
}

/** Batches one epoch yields: batches per pass times repeat (a batch never spans two passes). */
export function batchesPerEpoch(spec: Pick<PipelineSpec, 'batch' | 'repeat'>, datasetSize: number, dropRemainder = spec.batch.dropRemainder): number {
  const perPass = dropRemainder ? Math.floor(datasetSize / spec.batch.size) : Math.ceil(datasetSize / spec.batch.size);
  return perPass * (spec.repeat ?? 1);
}
